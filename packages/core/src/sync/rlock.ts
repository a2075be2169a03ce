/**
 * Python's `RLock`.
 *
 * @module
 */
import { RuntimeError } from '../errors.js'
import { Acquirable, warnAbandoned } from './lock.js'
import { type AcquireOptions, parseLockAcquire } from './internal/options.js'
import { type Description, LOCAL, type OpContext, type SharedState, kDescribe } from './internal/shared.js'
import { registerPrimitive } from './internal/travel.js'
import { deadlineOf, waitChange, wakeAll } from './internal/wait.js'

const OWNER = 0
const COUNT = 1

/** RLock state: the owner's id and its recursion count. */
export class RLockState implements SharedState {
  constructor(readonly i32: Int32Array) {}
  static create(): RLockState {
    return new RLockState(new Int32Array(new SharedArrayBuffer(8)))
  }
  static fromShared(shared: unknown): RLockState {
    return new RLockState(new Int32Array(shared as SharedArrayBuffer))
  }
  toShared(): unknown {
    return this.i32.buffer
  }
  async acquire(ctx: OpContext, blocking: boolean, ms: number | undefined): Promise<boolean> {
    if (Atomics.load(this.i32, OWNER) === ctx.owner) {
      Atomics.add(this.i32, COUNT, 1)
      return true
    }
    const deadline = deadlineOf(ms)
    for (;;) {
      const current = Atomics.compareExchange(this.i32, OWNER, 0, ctx.owner)
      if (current === 0) {
        Atomics.store(this.i32, COUNT, 1)
        return true
      }
      if (!blocking) return false
      if ((await waitChange(this.i32, OWNER, current, deadline, ctx.signal)) === 'timed-out') {
        if (Atomics.compareExchange(this.i32, OWNER, 0, ctx.owner) !== 0) return false
        Atomics.store(this.i32, COUNT, 1)
        return true
      }
    }
  }
  release(ctx: OpContext): void {
    if (Atomics.load(this.i32, OWNER) !== ctx.owner) throw new RuntimeError('cannot release un-acquired lock')
    if (Atomics.sub(this.i32, COUNT, 1) === 1) {
      Atomics.store(this.i32, OWNER, 0)
      wakeAll(this.i32, OWNER)
    }
  }
  locked(_ctx: OpContext): boolean {
    return Atomics.load(this.i32, OWNER) !== 0
  }
  isOwned(ctx: OpContext): boolean {
    return Atomics.load(this.i32, OWNER) === ctx.owner
  }
  /** Releases every level (for `Condition.wait`) and returns how many there were. */
  releaseAll(ctx: OpContext): number {
    if (!this.isOwned(ctx)) throw new RuntimeError('cannot release un-acquired lock')
    const count = Atomics.exchange(this.i32, COUNT, 0)
    Atomics.store(this.i32, OWNER, 0)
    wakeAll(this.i32, OWNER)
    return count
  }
  async acquireRestore(ctx: OpContext, count: number): Promise<void> {
    await this.acquire({ ...ctx, signal: undefined }, true, undefined)
    Atomics.store(this.i32, COUNT, count)
  }
  holds(ctx: OpContext): boolean {
    return Atomics.load(this.i32, OWNER) === ctx.owner
  }
  recover(ctx: OpContext): void {
    if (Atomics.load(this.i32, OWNER) !== ctx.owner) return
    Atomics.store(this.i32, COUNT, 0)
    Atomics.store(this.i32, OWNER, 0)
    wakeAll(this.i32, OWNER)
    warnAbandoned('RLock', ctx.owner)
  }
}

/**
 * Python's `RLock`: a reentrant lock. The unit (thread, or process) that acquired it may acquire
 * it again, and must release it as many times; only that unit may release it.
 *
 * @example
 * ```ts
 * const rlock = new RLock()
 * await rlock.acquire()
 * await rlock.acquire()   // same owner: does not wait
 * await rlock.release()
 * await rlock.release()   // now free
 * ```
 */
export class RLock extends Acquirable {
  constructor() {
    super(RLockState.create)
  }

  /** Like `Lock.acquire()`; the owner re-acquiring returns `true` at once. */
  acquire(blocking?: boolean | AcquireOptions, timeout?: number | null): Promise<boolean> {
    try {
      const o = parseLockAcquire(blocking, timeout)
      // Fast path: free, or already ours, in this process's memory.
      const state = this.local as RLockState | undefined
      if (state !== undefined) {
        const owner = Atomics.compareExchange(state.i32, OWNER, 0, LOCAL.owner)
        if (owner === 0) {
          Atomics.store(state.i32, COUNT, 1)
          return Promise.resolve(true)
        }
        if (owner === LOCAL.owner) {
          Atomics.add(state.i32, COUNT, 1)
          return Promise.resolve(true)
        }
      }
      return this.op<boolean>('acquire', [o.blocking, o.ms], o.signal)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Releases one level. @throws {RuntimeError} when the caller does not own it */
  release(): Promise<void> {
    const state = this.local as RLockState | undefined
    if (state === undefined) return this.op('release')
    try {
      state.release(LOCAL)
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Whether any unit holds it (at any level). */
  locked(): Promise<boolean> {
    return this.op('locked')
  }

  /** @internal */
  override [kDescribe](): Description {
    return { type: 'RLock', meta: null }
  }

  override toString(): string {
    const state = this.local as RLockState | undefined
    if (state === undefined) return '<RLock (owned by a parent process)>'
    const owner = Atomics.load(state.i32, OWNER)
    return owner === 0 ? '<RLock(None, 0)>' : `<RLock(${owner}, ${Atomics.load(state.i32, COUNT)})>`
  }
}

registerPrimitive('RLock', import.meta.url, { state: RLockState.fromShared, build: () => () => new RLock() })
