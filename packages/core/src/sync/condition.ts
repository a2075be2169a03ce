/**
 * Python's `Condition`.
 *
 * @module
 */
import { RuntimeError } from '../errors.js'
import { checkInteger } from '../internal/validate.js'
import { Acquirable, Lock, LockState } from './lock.js'
import { RLock, RLockState } from './rlock.js'
import { type AcquireOptions, type WaitOptions, parseWait } from './internal/options.js'
import { type Description, type OpContext, type Primitive, type SharedState, kBackend, kDescribe } from './internal/shared.js'
import { registerPrimitive } from './internal/travel.js'
import { UNIT_DIED, deadlineOf, waitChange } from './internal/wait.js'

const WAITING = 0
const TOKENS = 1
const SEQ = 2

/**
 * Condition state. `notify(n)` moves up to `n` waiters from "waiting" to wake-up tokens, which
 * any waiter may take: waiters are interchangeable, as Python's order is unspecified.
 */
export class ConditionState implements SharedState {
  constructor(
    readonly i32: Int32Array,
    readonly lock: LockState | RLockState,
  ) {}
  static create(lock: LockState | RLockState): ConditionState {
    return new ConditionState(new Int32Array(new SharedArrayBuffer(12)), lock)
  }
  toShared(): unknown {
    return this.i32.buffer
  }
  async wait(ctx: OpContext, ms: number | undefined): Promise<boolean> {
    if (!this.lock.isOwned(ctx)) throw new RuntimeError('cannot wait on un-acquired lock')
    Atomics.add(this.i32, WAITING, 1)
    const saved = this.lock.releaseAll(ctx)
    const deadline = deadlineOf(ms)
    let woken = false
    try {
      for (;;) {
        const seq = Atomics.load(this.i32, SEQ)
        const tokens = Atomics.load(this.i32, TOKENS)
        if (tokens > 0) {
          if (Atomics.compareExchange(this.i32, TOKENS, tokens, tokens - 1) === tokens) {
            woken = true
            break
          }
          continue
        }
        if ((await waitChange(this.i32, SEQ, seq, deadline, ctx.signal)) === 'timed-out') break
      }
    } catch (error) {
      if (ctx.signal?.reason !== UNIT_DIED) await this.lock.acquireRestore(ctx, saved)
      this.leave()
      throw error
    }
    await this.lock.acquireRestore(ctx, saved)
    if (!woken) this.leave()
    return woken
  }
  /** A waiter that gives up: take a token meant for some waiter if there is one, else stop counting. */
  private leave(): void {
    for (;;) {
      const tokens = Atomics.load(this.i32, TOKENS)
      if (tokens > 0) {
        if (Atomics.compareExchange(this.i32, TOKENS, tokens, tokens - 1) === tokens) return
        continue
      }
      const waiting = Atomics.load(this.i32, WAITING)
      if (waiting <= 0 || Atomics.compareExchange(this.i32, WAITING, waiting, waiting - 1) === waiting) return
    }
  }
  notify(ctx: OpContext, n: number): void {
    if (!this.lock.isOwned(ctx)) throw new RuntimeError('cannot notify on un-acquired lock')
    for (;;) {
      const waiting = Atomics.load(this.i32, WAITING)
      const k = Math.min(n, waiting)
      if (k <= 0) return
      if (Atomics.compareExchange(this.i32, WAITING, waiting, waiting - k) === waiting) {
        Atomics.add(this.i32, TOKENS, k)
        break
      }
    }
    Atomics.add(this.i32, SEQ, 1)
    Atomics.notify(this.i32, SEQ)
  }
  /** Its lock: a condition's lock travels as a primitive of its own too. */
  holds(ctx: OpContext): boolean {
    return this.lock.holds(ctx)
  }
  recover(_ctx: OpContext): void {}
}

/**
 * Python's `Condition(lock=None)`: waits for a notification while holding a lock. The default
 * lock is a new `RLock`; a `Lock` or `RLock` given must be shared the same way as the condition.
 *
 * @example
 * ```ts
 * const cond = new Condition()
 * {
 *   await using _ = await cond.hold()
 *   await cond.waitFor(() => items.length > 0, 5)
 * }
 * // elsewhere: await using _ = await cond.hold(); items.push(x); await cond.notify()
 * ```
 */
export class Condition extends Acquirable {
  /** The lock the condition uses. */
  readonly lock: Lock | RLock

  constructor(lock?: Lock | RLock | null) {
    const chosen = lock ?? new RLock()
    if (!(chosen instanceof Lock) && !(chosen instanceof RLock)) throw new TypeError('Condition() needs a Lock or an RLock')
    super(() => {
      const state = chosen[kBackend].state
      if (state === undefined) throw new RuntimeError('a Condition over a lock owned by another process must be created there')
      return ConditionState.create(state as LockState | RLockState)
    })
    this.lock = chosen
  }

  /** Acquires the underlying lock. */
  acquire(blocking?: boolean | AcquireOptions, timeout?: number | null): Promise<boolean> {
    return this.lock.acquire(blocking, timeout)
  }

  /** Releases the underlying lock. */
  release(): Promise<void> {
    return this.lock.release()
  }

  /**
   * Releases the lock, waits for `notify()` or `timeout` seconds, re-acquires the lock; `false`
   * only on timeout. An `RLock` is released at every level and restored.
   *
   * @throws {RuntimeError} when the lock is not held
   */
  wait(timeout?: number | null | WaitOptions): Promise<boolean> {
    try {
      const o = parseWait(timeout)
      return this.op('wait', [o.ms], o.signal)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Waits until `predicate()` is truthy (checked first, then after each wake-up) or `timeout`
   * seconds passed; returns the last value of `predicate()`.
   */
  async waitFor<T>(predicate: () => T | Promise<T>, timeout?: number | null | WaitOptions): Promise<T> {
    const o = parseWait(timeout)
    const end = o.ms === undefined ? undefined : performance.now() + o.ms
    let result = await predicate()
    while (!result) {
      let left: number | undefined
      if (end !== undefined) {
        left = (end - performance.now()) / 1000
        if (left <= 0) break
      }
      await this.wait({ timeout: left, signal: o.signal })
      result = await predicate()
    }
    return result
  }

  /** Wakes up to `n` waiters. @throws {RuntimeError} when the lock is not held */
  notify(n = 1): Promise<void> {
    try {
      checkInteger(n, 'n')
    } catch (error) {
      return Promise.reject(error)
    }
    return this.op('notify', [n])
  }

  /** Wakes every waiter (Python's `notify_all()`). */
  notifyAll(): Promise<void> {
    return this.op('notify', [Number.MAX_SAFE_INTEGER])
  }

  /** @internal */
  override [kDescribe](): Description {
    return { type: 'Condition', meta: { lock: this.lock } }
  }

  override toString(): string {
    return `<Condition(${String(this.lock)})>`
  }
}

registerPrimitive('Condition', import.meta.url, {
  // The lock travels in the meta, so it is rebuilt first, over the same memory.
  state: (shared, meta) => new ConditionState(new Int32Array(shared as SharedArrayBuffer), (meta.lock as Primitive)[kBackend].state as LockState | RLockState),
  build: (meta) => () => new Condition(meta.lock as Lock | RLock),
})
