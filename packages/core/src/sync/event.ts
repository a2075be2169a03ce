/**
 * Python's `Event`.
 *
 * @module
 */
import { type WaitOptions, parseWait } from './internal/options.js'
import { type Description, type OpContext, Primitive, type SharedState, kDescribe } from './internal/shared.js'
import { registerPrimitive } from './internal/travel.js'
import { deadlineOf, waitChange, wakeAll } from './internal/wait.js'

const FLAG = 0
const GEN = 1

/** Event state: the flag, and a generation that every `set()` bumps. */
export class EventState implements SharedState {
  constructor(readonly i32: Int32Array) {}
  static create(): EventState {
    return new EventState(new Int32Array(new SharedArrayBuffer(8)))
  }
  static fromShared(shared: unknown): EventState {
    return new EventState(new Int32Array(shared as SharedArrayBuffer))
  }
  toShared(): unknown {
    return this.i32.buffer
  }
  set(_ctx: OpContext): void {
    Atomics.store(this.i32, FLAG, 1)
    Atomics.add(this.i32, GEN, 1)
    wakeAll(this.i32, GEN)
  }
  clear(_ctx: OpContext): void {
    Atomics.store(this.i32, FLAG, 0)
  }
  isSet(_ctx: OpContext): boolean {
    return Atomics.load(this.i32, FLAG) === 1
  }
  /** True once set; a waiter woken by `set()` returns true even if `clear()` followed at once. */
  async wait(ctx: OpContext, ms: number | undefined): Promise<boolean> {
    const deadline = deadlineOf(ms)
    const gen = Atomics.load(this.i32, GEN)
    for (;;) {
      if (Atomics.load(this.i32, FLAG) === 1 || Atomics.load(this.i32, GEN) !== gen) return true
      if ((await waitChange(this.i32, GEN, gen, deadline, ctx.signal)) === 'timed-out') {
        return Atomics.load(this.i32, FLAG) === 1 || Atomics.load(this.i32, GEN) !== gen
      }
    }
  }
  recover(_ctx: OpContext): void {}
}

/**
 * Python's `Event`: a flag that `set()` raises, `clear()` lowers, and `wait()` waits for.
 *
 * @example
 * ```ts
 * const ready = new Event()
 * new Thread({ target: worker, args: [ready] }).start()
 * await ready.wait()          // until the worker calls ready.set()
 * ```
 */
export class Event extends Primitive {
  constructor() {
    super(EventState.create)
  }

  /** Sets the flag and wakes every waiter. */
  set(): Promise<void> {
    return this.op('set')
  }

  /** Lowers the flag. */
  clear(): Promise<void> {
    return this.op('clear')
  }

  /** Whether the flag is set (Python's `is_set()`). */
  isSet(): Promise<boolean> {
    return this.op('isSet')
  }

  /**
   * Waits until the flag is set; `false` only when `timeout` seconds passed first (negative: 0).
   *
   * @example
   * ```ts
   * if (!(await ready.wait(0.5))) console.log('not yet')
   * await ready.wait({ signal: AbortSignal.timeout(1000) })
   * ```
   */
  wait(timeout?: number | null | WaitOptions): Promise<boolean> {
    try {
      const o = parseWait(timeout)
      return this.op('wait', [o.ms], o.signal)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** @internal */
  override [kDescribe](): Description {
    return { type: 'Event', meta: null }
  }

  override toString(): string {
    const state = this.local as EventState | undefined
    if (state === undefined) return '<Event (owned by a parent process)>'
    return `<Event ${Atomics.load(state.i32, FLAG) === 1 ? 'set' : 'unset'}>`
  }
}

registerPrimitive('Event', import.meta.url, { state: EventState.fromShared, build: () => () => new Event() })
