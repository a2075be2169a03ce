/**
 * Python's `Semaphore` and `BoundedSemaphore`.
 *
 * @module
 */
import { ValueError } from '../errors.js'
import { checkInteger } from '../internal/validate.js'
import { Acquirable } from './lock.js'
import { type AcquireOptions, parseSemaphoreAcquire } from './internal/options.js'
import { type Description, type OpContext, type SharedState, kDescribe } from './internal/shared.js'
import { registerPrimitive } from './internal/travel.js'
import { deadlineOf, waitChange, wakeAll } from './internal/wait.js'

const VALUE = 0
const INITIAL = 1
const BOUNDED = 2

/** Semaphore state: the counter, the initial value and whether it is bounded. */
export class SemaphoreState implements SharedState {
  constructor(readonly i32: Int32Array) {}
  static create(value: number, bounded: boolean): SemaphoreState {
    const state = new SemaphoreState(new Int32Array(new SharedArrayBuffer(12)))
    state.i32[VALUE] = value
    state.i32[INITIAL] = value
    state.i32[BOUNDED] = bounded ? 1 : 0
    return state
  }
  static fromShared(shared: unknown): SemaphoreState {
    return new SemaphoreState(new Int32Array(shared as SharedArrayBuffer))
  }
  toShared(): unknown {
    return this.i32.buffer
  }
  async acquire(ctx: OpContext, blocking: boolean, ms: number | undefined): Promise<boolean> {
    const deadline = deadlineOf(ms)
    for (;;) {
      const value = Atomics.load(this.i32, VALUE)
      if (value > 0) {
        if (Atomics.compareExchange(this.i32, VALUE, value, value - 1) === value) return true
        continue
      }
      if (!blocking) return false
      if ((await waitChange(this.i32, VALUE, value, deadline, ctx.signal)) === 'timed-out') {
        const last = Atomics.load(this.i32, VALUE)
        return last > 0 && Atomics.compareExchange(this.i32, VALUE, last, last - 1) === last
      }
    }
  }
  release(_ctx: OpContext, n: number): void {
    if (Atomics.load(this.i32, BOUNDED) === 1) {
      for (;;) {
        const value = Atomics.load(this.i32, VALUE)
        if (value + n > Atomics.load(this.i32, INITIAL)) throw new ValueError('Semaphore released too many times')
        if (Atomics.compareExchange(this.i32, VALUE, value, value + n) === value) break
      }
    } else {
      Atomics.add(this.i32, VALUE, n)
    }
    wakeAll(this.i32, VALUE)
  }
  getValue(_ctx: OpContext): number {
    return Atomics.load(this.i32, VALUE)
  }
  /** A semaphore has no owner: nothing to undo when a unit dies (see docs/primitives.md). */
  recover(_ctx: OpContext): void {}
}

/**
 * Python's `Semaphore(value=1)`: a counter that `acquire()` decrements (waiting while it is 0)
 * and `release()` increments, without an upper bound.
 *
 * @example
 * ```ts
 * const slots = new Semaphore(2)
 * await using _ = await slots.hold()   // at most two holders at a time
 * ```
 */
export class Semaphore extends Acquirable {
  /** @throws {ValueError} when `value` is negative; {TypeError} when it is not an integer */
  constructor(value = 1) {
    checkInteger(value, 'semaphore initial value', 0, 'semaphore initial value must be >= 0')
    super(() => SemaphoreState.create(value, new.target === BoundedSemaphore))
  }

  /**
   * Decrements the counter, waiting while it is 0; `true` when done. `acquire(false)` does not
   * wait; `{ timeout }` waits at most that many seconds (negative: 0).
   *
   * @throws {ValueError} for a timeout with `blocking: false`
   */
  async acquire(blocking?: boolean | AcquireOptions, timeout?: number | null): Promise<boolean> {
    const o = parseSemaphoreAcquire(blocking, timeout)
    return this.op<boolean>('acquire', [o.blocking, o.ms], o.signal)
  }

  /** Adds `n` to the counter, waking up to `n` waiters. @throws {ValueError} when `n < 1` */
  release(n = 1): Promise<void> {
    try {
      checkInteger(n, 'n', 1, 'n must be one or more')
    } catch (error) {
      return Promise.reject(error)
    }
    return this.op('release', [n])
  }

  /** The counter's current value (Python's `get_value()`). */
  getValue(): Promise<number> {
    return this.op('getValue')
  }

  /** @internal */
  override [kDescribe](): Description {
    return { type: this instanceof BoundedSemaphore ? 'BoundedSemaphore' : 'Semaphore', meta: null }
  }

  override toString(): string {
    const state = this.local as SemaphoreState | undefined
    const name = this.constructor.name
    return state === undefined ? `<${name} (owned by a parent process)>` : `<${name} value=${Atomics.load(state.i32, VALUE)}>`
  }
}

/**
 * Python's `BoundedSemaphore(value=1)`: a `Semaphore` whose `release()` beyond the initial value
 * is an error.
 *
 * @example
 * ```ts
 * const sem = new BoundedSemaphore(1)
 * await sem.release() // rejects: ValueError('Semaphore released too many times')
 * ```
 */
export class BoundedSemaphore extends Semaphore {}

registerPrimitive('Semaphore', import.meta.url, { state: SemaphoreState.fromShared, build: () => () => new Semaphore(0) })
registerPrimitive('BoundedSemaphore', import.meta.url, { state: SemaphoreState.fromShared, build: () => () => new BoundedSemaphore(0) })
