/**
 * Python's `concurrent.futures.Future`, made awaitable: the result of a call that runs elsewhere.
 *
 * @module
 */
import { timeoutToMs } from '../internal/timeout.js'
import { CancelledError, InvalidStateError, TimeoutError } from './errors.js'
import { OwnedPromise, awaitedAsIs, releasedWithin, settleOwned, settledOf } from './owned-promise.js'

const PENDING = 0
const RUNNING = 1
/** Done: returned. */
const FINISHED = 2
/** Done: raised (Python's FINISHED too; one state so a future needs no separate flag). */
const FAILED = 3
const CANCELLED = 4
type State = typeof PENDING | typeof RUNNING | typeof FINISHED | typeof FAILED | typeof CANCELLED
const STATE_NAMES = ['PENDING', 'RUNNING', 'FINISHED', 'FINISHED', 'CANCELLED'] as const

/** A callback given to {@link Future.addDoneCallback}. */
export type DoneCallback<T> = (future: Future<T>) => void

let failedOf: (future: Future<unknown>) => boolean
let markRunning: (future: Future<unknown>) => void

/**
 * What a future asks while its call is *offered* to a busy worker thread, not committed to it
 * (worker-pool.ts): the call runs only once that worker claims it, and until then the pool can
 * take it back. Internal.
 */
export interface Offer {
  /** Takes the call back; false when the worker has claimed it (it is running then). */
  revoke(): boolean
  /** Whether the worker has claimed it (it is running then). */
  claimed(): boolean
}

/** The futures whose calls are offered, and what to ask (few: one per busy worker at most). */
const offers = new Map<Future<unknown>, Offer>()

/** Internal: `future`'s call is offered to a worker; false (nothing done) if it is cancelled. */
export function offerFuture(future: Future<unknown>, offer: Offer): boolean {
  if (future.cancelled()) return false
  offers.set(future, offer)
  return true
}

/** Internal: the worker claimed the offered call: it is running. */
export function claimFuture(future: Future<unknown>): void {
  offers.delete(future)
  markRunning(future)
}

/** Internal: the offer was taken back and the call is queued again. */
export function unofferFuture(future: Future<unknown>): void {
  offers.delete(future)
}

/** Whether a done future raised (a cancelled one did not); sync, for `wait()`. Internal. */
export function futureFailed(future: Future<unknown>): boolean {
  return failedOf(future)
}

/**
 * The eventual result of a call submitted to an executor. It is a native `Promise` (`await future`
 * gives the value or throws the call's error; `.then`, `.catch`, `.finally`, `Promise.all` work as
 * on any promise), with Python's methods, made async where Python blocks: `result(timeout)`,
 * `exception(timeout)`, `cancel()`, `done()`...
 *
 * Unlike a plain promise, a future that fails or is cancelled while nobody awaits it is not an
 * unhandled rejection (Python's futures keep their exception until asked). Its `constructor` is
 * `Promise`, so that `await` and `Promise.all` take it as it is; promises derived from it
 * (`then`, `catch`, `finally`) are plain promises. It is made with no executor: `new Future()`
 * (executors and tests settle it with `setResult`/`setException`); `Future.resolve`, `Future.all`
 * and the other statics throw a `TypeError` (use `Promise`'s).
 *
 * @example
 * ```ts
 * const future = executor.submit(square, 4)
 * future.addDoneCallback((f) => console.log('done', f.done()))
 * console.log(await future)             // 16
 * console.log(await future.result(1))   // 16, or TimeoutError after 1 s
 * ```
 */
export class Future<T = unknown> extends OwnedPromise<T> {
  // Few fields and no closure of its own: a burst of 100,000 calls keeps 100,000 futures alive at
  // once, and every byte of them is copied by each scavenge during the burst
  // (bench/FINDINGS-pools.md, (f)).
  #state: State = PENDING
  /** The value (FINISHED) or the error (FAILED). */
  #outcome: unknown = undefined
  #callbacks: DoneCallback<never>[] | undefined = undefined

  /** @param executor none: a future is settled by `setResult`, `setException` or `cancel()` */
  constructor(executor?: undefined) {
    // Promise's statics (`Future.resolve`, `Future.all`...) construct `this` with an executor.
    if (executor !== undefined) {
      throw new TypeError('Future takes no executor: make one with `new Future()` and settle it with setResult/setException; for Future.resolve, Future.all and the like use Promise\'s')
    }
    super()
  }

  static {
    failedOf = (future) => future.#state === FAILED
    markRunning = (future) => {
      if (future.#state === PENDING) future.#state = RUNNING
    }
    // `await` and `Promise.all` take a future as it is (owned-promise.ts).
    awaitedAsIs(Future)
  }

  /** True if the call was cancelled before it started. */
  cancelled(): boolean {
    return this.#state === CANCELLED
  }

  /** True while the call is running (it can no longer be cancelled). */
  running(): boolean {
    this.#askOffer()
    return this.#state === RUNNING
  }

  /**
   * Offered to a worker: running once the worker has claimed it, which the pool may not have
   * looked at yet (`claimed()` asks, and marks it running).
   */
  #askOffer(): void {
    if (this.#state === PENDING && offers.size > 0) offers.get(this)?.claimed()
  }

  /** True once the call finished or was cancelled. */
  done(): boolean {
    return this.#state >= FINISHED
  }

  /**
   * Cancels the call if it has not started. Returns false if it is running or finished, true if
   * it is (now) cancelled; done-callbacks run.
   */
  cancel(): boolean {
    if (this.#state === CANCELLED) return true
    if (this.#state !== PENDING) return false
    if (offers.size > 0) {
      // Offered to a worker: cancelled only if taken back before the worker claimed it.
      const offer = offers.get(this)
      if (offer !== undefined && !offer.revoke()) {
        markRunning(this)
        return false
      }
    }
    this.#state = CANCELLED
    this.#settle()
    return true
  }

  /**
   * The call's value. Throws the call's error, {@link CancelledError} if it was cancelled, or
   * {@link TimeoutError} if it is not done within `timeout` seconds (default: wait forever).
   */
  async result(timeout?: number | null): Promise<T> {
    await this.#wait(timeout)
    if (this.#state === CANCELLED) throw new CancelledError()
    if (this.#state === FAILED) throw this.#outcome
    return this.#outcome as T
  }

  /**
   * The call's error, or `null` if it returned. Same cancel and timeout rules as
   * {@link Future.result}.
   */
  async exception(timeout?: number | null): Promise<unknown> {
    await this.#wait(timeout)
    if (this.#state === CANCELLED) throw new CancelledError()
    return this.#state === FAILED ? this.#outcome : null
  }

  /**
   * Calls `fn(future)` when the future finishes or is cancelled, in the order added; at once if
   * it is already done. An error thrown by `fn` is logged and does not stop the others.
   */
  addDoneCallback(fn: DoneCallback<T>): void {
    if (this.#state >= FINISHED) {
      this.#invoke(fn)
      return
    }
    ;(this.#callbacks ??= []).push(fn as DoneCallback<never>)
  }

  /**
   * For executors (and tests): marks the future running. Returns false if it was cancelled (the
   * executor then drops the call).
   *
   * @throws {InvalidStateError} when it is already running or finished
   */
  setRunningOrNotifyCancel(): boolean {
    if (this.#state === CANCELLED) return false
    if (this.#state === PENDING) {
      this.#state = RUNNING
      return true
    }
    throw new InvalidStateError(`Future in unexpected state: ${STATE_NAMES[this.#state]}`)
  }

  /** For executors (and tests): the call returned `value`. */
  setResult(value: T): void {
    if (this.#state >= FINISHED) throw new InvalidStateError(`${STATE_NAMES[this.#state]}: ${this.toString()}`)
    this.#outcome = value
    this.#state = FINISHED
    this.#settle()
  }

  /** For executors (and tests): the call threw `error`. */
  setException(error: unknown): void {
    if (this.#state >= FINISHED) throw new InvalidStateError(`${STATE_NAMES[this.#state]}: ${this.toString()}`)
    this.#outcome = error
    this.#state = FAILED
    this.#settle()
  }

  override toString(): string {
    this.#askOffer()
    const s = this.#state
    const extra =
      s === FAILED
        ? ` raised ${(this.#outcome as Error | undefined)?.name ?? typeof this.#outcome}`
        : s === FINISHED
          ? ` returned ${this.#outcome === null ? 'null' : typeof this.#outcome}`
          : ''
    return `<Future state=${STATE_NAMES[s].toLowerCase()}${extra}>`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }

  override get [Symbol.toStringTag](): string {
    return 'Future'
  }

  async #wait(timeout: number | null | undefined): Promise<void> {
    // Checked even when done, so that a bad timeout fails the same way whatever the timing.
    const ms = timeoutToMs(timeout)
    if (this.#state >= FINISHED) return
    // No timeout: the future's own promise, however it settles (the caller reads the state).
    if (ms === undefined) return void (await settledOf(this))
    if (ms === 0) throw new TimeoutError()
    // Released by #settle, which calls the done-callbacks.
    await releasedWithin((this.#callbacks ??= []), ms)
    if (this.#state < FINISHED) throw new TimeoutError()
  }

  #settle(): void {
    if (offers.size > 0) offers.delete(this)
    // Nobody need await a failed future, nor one whose value is a thenable that fails (marked handled).
    const s = this.#state
    settleOwned(this, s === FINISHED, s === CANCELLED ? new CancelledError() : this.#outcome)
    const callbacks = this.#callbacks
    this.#callbacks = undefined
    if (callbacks !== undefined) for (const fn of callbacks) this.#invoke(fn as DoneCallback<T>)
  }

  #invoke(fn: DoneCallback<T>): void {
    try {
      fn(this)
    } catch (error) {
      console.error(`exception calling callback for ${this.toString()}`, error)
    }
  }
}
