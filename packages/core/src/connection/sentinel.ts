/**
 * `Process.sentinel` / `Thread.sentinel`: what `connection.wait()` accepts for a unit, ready once
 * the unit has ended (Python gives a file descriptor). It is also awaitable.
 */
import { kPoll, type Waitable } from './transport.js'

/** Waits for the unit's end, or `ms` (`undefined`: no limit), or until `signal` aborts. */
export type WaitForEnd = (ms: number | undefined, signal: AbortSignal | undefined) => Promise<void>

/**
 * Becomes ready when its unit ends. `await runner.sentinel` waits for that;
 * `connection.wait([conn, runner.sentinel])` waits for whichever comes first.
 *
 * @example
 * ```ts
 * const ready = await connection.wait([conn, p.sentinel], 5)
 * if (ready.includes(p.sentinel)) console.log('the process ended first')
 * ```
 */
export class Sentinel implements Waitable, PromiseLike<void> {
  readonly #wait: WaitForEnd
  readonly #ended: () => boolean

  /** @internal Use `runner.sentinel`. */
  constructor(wait: WaitForEnd, ended: () => boolean) {
    this.#wait = wait
    this.#ended = ended
  }

  /** Whether the unit has ended. */
  get ready(): boolean {
    return this.#ended()
  }

  then<R1 = void, R2 = never>(
    onfulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#wait(undefined, undefined).then(onfulfilled, onrejected)
  }

  /** @internal `connection.wait()` */
  async [kPoll](ms: number | undefined, signal: AbortSignal | undefined): Promise<boolean> {
    if (this.#ended()) return true
    if (ms === 0) return false
    await this.#wait(ms, signal)
    return this.#ended()
  }

  toString(): string {
    return `<Sentinel ${this.#ended() ? 'ready' : 'waiting'}>`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}
