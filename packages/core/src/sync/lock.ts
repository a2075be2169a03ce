/**
 * Python's `Lock` and the base every acquirable primitive shares (`hold()` for `await using`).
 *
 * @module
 */
import { RuntimeError } from '../errors.js'
import { type AcquireOptions, parseLockAcquire } from './internal/options.js'
import { type Description, LOCAL, type OpContext, Primitive, type SharedState, kDescribe } from './internal/shared.js'
import { registerPrimitive } from './internal/travel.js'
import { deadlineOf, spinToTake, waitChange, wakeAll } from './internal/wait.js'

/** Tells the program that a unit died holding a lock, which was then released. */
export function warnAbandoned(what: string, owner: number): void {
  process.emitWarning(
    `a unit died holding a ${what} (owner ${owner}); the ${what} was released so that others do not deadlock`,
    { code: 'CONC_ABANDONED_LOCK' },
  )
}

/** What `acquire()`/`release()` primitives share: `hold()` for `await using`. */
export abstract class Acquirable extends Primitive {
  abstract acquire(blocking?: boolean | AcquireOptions, timeout?: number | null): Promise<boolean>
  abstract release(): Promise<void>

  /**
   * Acquires (waiting as long as it takes, or until `signal` aborts) and returns a guard that
   * releases on dispose: Python's `with lock:`.
   *
   * @example
   * ```ts
   * {
   *   await using _ = await lock.hold()
   *   // critical section
   * } // released here, also on throw
   * ```
   */
  async hold(options?: { readonly signal?: AbortSignal | undefined }): Promise<AsyncDisposable> {
    await this.acquire(options?.signal === undefined ? true : { signal: options.signal })
    let held = true
    return {
      [Symbol.asyncDispose]: () => {
        if (!held) return Promise.resolve()
        held = false
        return this.release()
      },
    }
  }
}

/** Lock state: one word, 0 when free, else the id of the owner that acquired it last. */
export class LockState implements SharedState {
  constructor(readonly i32: Int32Array) {}
  static create(): LockState {
    return new LockState(new Int32Array(new SharedArrayBuffer(8)))
  }
  static fromShared(shared: unknown): LockState {
    return new LockState(new Int32Array(shared as SharedArrayBuffer))
  }
  toShared(): unknown {
    return this.i32.buffer
  }
  async acquire(ctx: OpContext, blocking: boolean, ms: number | undefined): Promise<boolean> {
    const deadline = deadlineOf(ms)
    for (;;) {
      const current = Atomics.compareExchange(this.i32, 0, 0, ctx.owner)
      if (current === 0) return true
      if (!blocking) return false
      if ((await waitChange(this.i32, 0, current, deadline, ctx.signal)) === 'timed-out') {
        return Atomics.compareExchange(this.i32, 0, 0, ctx.owner) === 0
      }
    }
  }
  release(_ctx: OpContext): void {
    for (;;) {
      const current = Atomics.load(this.i32, 0)
      if (current === 0) throw new RuntimeError('release unlocked lock')
      if (Atomics.compareExchange(this.i32, 0, current, 0) === current) break
    }
    wakeAll(this.i32, 0)
  }
  locked(_ctx: OpContext): boolean {
    return Atomics.load(this.i32, 0) !== 0
  }
  /** A plain lock has no owner in Python: a condition over it counts as owned while it is locked. */
  isOwned(ctx: OpContext): boolean {
    return this.locked(ctx)
  }
  releaseAll(ctx: OpContext): number {
    this.release(ctx)
    return 1
  }
  async acquireRestore(ctx: OpContext, _count: number): Promise<void> {
    await this.acquire({ ...ctx, signal: undefined }, true, undefined)
  }
  /**
   * A plain Lock has no owner in Python (another unit may release it), so a unit that ends
   * normally holding it leaves it locked; one that dies (killed, crashed) has it released.
   */
  holds(ctx: OpContext): boolean {
    return Atomics.load(this.i32, 0) === ctx.owner
  }
  recover(ctx: OpContext, died = true): void {
    if (died && Atomics.compareExchange(this.i32, 0, ctx.owner, 0) === ctx.owner) {
      wakeAll(this.i32, 0)
      warnAbandoned('Lock', ctx.owner)
    }
  }
}

/**
 * Python's `threading.Lock` / `multiprocessing.Lock`: not reentrant, and may be released by a
 * unit other than the one that acquired it. Pass it to a `Thread` or `Process` in `args` and
 * the unit gets the same lock.
 *
 * @example
 * ```ts
 * const lock = new Lock()
 * if (await lock.acquire({ timeout: 0.5 })) {
 *   try { work() } finally { await lock.release() }
 * }
 * await using _ = await lock.hold()
 * ```
 */
export class Lock extends Acquirable {
  constructor() {
    super(LockState.create)
  }

  /**
   * Waits for the lock and takes it; `true` when taken. `acquire(false)` does not wait;
   * `{ timeout }` waits at most that many seconds (-1 or none: forever).
   *
   * @throws {ValueError} for a timeout with `blocking: false`, or a negative timeout other than -1
   */
  acquire(blocking?: boolean | AcquireOptions, timeout?: number | null): Promise<boolean> {
    try {
      const o = parseLockAcquire(blocking, timeout)
      // Fast path: a free lock in this process's memory is taken without an await.
      const state = this.local as LockState | undefined
      if (state !== undefined) {
        const i32 = state.i32
        const take = (): boolean => Atomics.load(i32, 0) === 0 && Atomics.compareExchange(i32, 0, 0, LOCAL.owner) === 0
        if (take() || (o.blocking && o.signal?.aborted !== true && spinToTake(take))) return Promise.resolve(true)
      }
      return this.op<boolean>('acquire', [o.blocking, o.ms], o.signal)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Releases the lock. @throws {RuntimeError} when it is not locked */
  release(): Promise<void> {
    const state = this.local as LockState | undefined
    if (state === undefined) return this.op('release')
    try {
      state.release(LOCAL)
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Whether some unit holds the lock. */
  locked(): Promise<boolean> {
    return this.op('locked')
  }

  /** @internal */
  override [kDescribe](): Description {
    return { type: 'Lock', meta: null }
  }

  override toString(): string {
    const state = this.local as LockState | undefined
    if (state === undefined) return '<Lock (owned by a parent process)>'
    return `<${Atomics.load(state.i32, 0) === 0 ? 'unlocked' : 'locked'} Lock>`
  }
}

registerPrimitive('Lock', import.meta.url, { state: LockState.fromShared, build: () => () => new Lock() })
