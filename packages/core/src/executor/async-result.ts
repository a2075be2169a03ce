/**
 * Python's `multiprocessing.pool.AsyncResult` (and `MapResult`): what `applyAsync` and
 * `mapAsync` return.
 *
 * @module
 */
import { ValueError } from '../errors.js'
import { timeoutToMs } from '../internal/timeout.js'
import { TimeoutError } from './errors.js'
import { OwnedPromise, awaitedAsIs, followerOf, releasedWithin, settleOwned, settledOf } from './owned-promise.js'
import { packedArray } from './protocol.js'
import { checkCallback } from './validate.js'
import type { TaskSink } from './task.js'

/** Callbacks of `applyAsync` / `mapAsync`; they run in the parent, as Python's do. */
export interface ResultCallbacks<T> {
  /** Called with the result when the task succeeds (`null`: none, as Python's `None`). */
  readonly callback?: ((result: T) => void) | null | undefined
  /** Called with the error when the task fails (`null`: none). */
  readonly errorCallback?: ((error: unknown) => void) | null | undefined
}

const PENDING = 0
const SUCCEEDED = 1
const FAILED = 2
type State = typeof PENDING | typeof SUCCEEDED | typeof FAILED

/**
 * The result of `pool.applyAsync(...)` / `pool.mapAsync(...)`: a native `Promise` of the task's
 * result (`await r`, `Promise.all`, `.then`, `.catch` work as on any promise), with Python's
 * `get(timeout)`, `wait(timeout)`, `ready()`, `successful()`.
 *
 * As in Python, `callback` / `errorCallback` run before the result is given to anyone waiting
 * (`get`, `wait`, `await`), in a microtask of their own: an error thrown by one is an uncaught
 * exception, as one thrown by a timer's callback. A result that fails while nobody awaits it is
 * not an unhandled rejection (Python keeps it until `get()`). Its `constructor` is `Promise`, so
 * that `await` takes it as it is; `AsyncResult.resolve` and the other statics throw a
 * `TypeError` (use `Promise`'s).
 *
 * @example
 * ```ts
 * const r = pool.applyAsync(square, [7])
 * console.log(await r.get(5)) // 49, or TimeoutError after 5 s
 * console.log(await r)        // 49
 * ```
 */
export class AsyncResult<T = unknown> extends OwnedPromise<T> {
  #state: State = PENDING
  /** The value (SUCCEEDED) or the error (FAILED). */
  #outcome: unknown = undefined
  /** `callback` / `errorCallback`, when given, until they run. */
  #hooks: { readonly callback: ((result: never) => void) | undefined; readonly errorCallback: ((error: unknown) => void) | undefined } | undefined
  /** Timed waits (`get(timeout)`, `wait(timeout)`) still waiting. */
  #waiters: (() => void)[] | undefined = undefined

  /** @param callbacks run in this program once the task succeeds (`callback`) or fails (`errorCallback`) */
  constructor(callbacks: ResultCallbacks<T> = {}) {
    // Promise's statics (`AsyncResult.resolve`, `.all`...) construct `this` with an executor.
    if (typeof callbacks === 'function') {
      throw new TypeError("AsyncResult takes no executor: pools make it (applyAsync, mapAsync); for AsyncResult.resolve, AsyncResult.all and the like use Promise's")
    }
    // Checked before anything is submitted (the pool makes the result first); null is None.
    const callback = checkCallback(callbacks.callback, 'callback')
    const errorCallback = checkCallback(callbacks.errorCallback, 'errorCallback')
    super()
    this.#hooks = callback !== undefined || errorCallback !== undefined ? { callback, errorCallback } : undefined
  }

  static {
    // `await` and `Promise.all` take it as it is (owned-promise.ts).
    awaitedAsIs(AsyncResult)
  }

  /**
   * The result; throws the task's error, or {@link TimeoutError} after `timeout` seconds (default:
   * wait forever). Without a timeout it is a plain promise of the result.
   */
  get(timeout?: number | null): Promise<T> {
    let ms: number | undefined
    try {
      ms = timeoutToMs(timeout)
    } catch (error) {
      return Promise.reject(error)
    }
    if (ms === undefined) return followerOf(this)
    return this.#getWithin(ms)
  }

  async #getWithin(ms: number): Promise<T> {
    await this.#wait(ms)
    if (this.#state === PENDING) throw new TimeoutError()
    if (this.#state === FAILED) throw this.#outcome
    return this.#outcome as T
  }

  /** Waits until the result is ready, or until `timeout` seconds pass (default: no limit). */
  async wait(timeout?: number | null): Promise<void> {
    await this.#wait(timeoutToMs(timeout))
  }

  /** True once the task has finished. */
  ready(): boolean {
    return this.#state !== PENDING
  }

  /** True if the task finished without error. @throws {ValueError} if it is not ready */
  successful(): boolean {
    if (this.#state === PENDING) throw new ValueError(`${this.toString()} not ready`)
    return this.#state === SUCCEEDED
  }

  override toString(): string {
    return `<AsyncResult ${this.ready() ? 'ready' : 'pending'}>`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }

  override get [Symbol.toStringTag](): string {
    return 'AsyncResult'
  }

  /** Until it is ready, or `ms` milliseconds pass (`undefined`: no limit). */
  async #wait(ms: number | undefined): Promise<void> {
    if (this.#state !== PENDING) return
    if (ms === undefined) return void (await settledOf(this))
    if (ms === 0) return
    await releasedWithin((this.#waiters ??= []), ms)
  }

  /** @internal The task's outcome; later calls do nothing. */
  _settle(ok: boolean, value: unknown): void {
    if (this.#state !== PENDING) return
    this.#state = ok ? SUCCEEDED : FAILED
    this.#outcome = value
    const hooks = this.#hooks
    if (hooks !== undefined) {
      this.#hooks = undefined
      // Queued before the promise settles: the callback runs before anyone waiting gets the result.
      const hook = ok ? hooks.callback : hooks.errorCallback
      if (hook !== undefined) queueMicrotask(() => hook(value as never))
    }
    settleOwned(this, ok, value)
    const waiters = this.#waiters
    this.#waiters = undefined
    if (waiters !== undefined) for (const release of waiters) release()
  }
}

/** A `map`'s result: chunks fill a list; the first error wins, but only once all chunks are in. */
export class MapResult<T> extends AsyncResult<T[]> {
  readonly values: T[]
  #left: number
  #error: { readonly value: unknown } | undefined

  constructor(length: number, chunks: number, callbacks: ResultCallbacks<T[]>) {
    super(callbacks)
    // Packed, not `new Array(length)`: the result may be sent on (see packedArray in protocol.ts).
    this.values = packedArray(length) as T[]
    this.#left = chunks
    if (chunks === 0) this._settle(true, this.values)
  }

  static {
    awaitedAsIs(MapResult)
  }

  /** @internal */
  _chunk(at: number, values: readonly T[] | undefined, error?: unknown): void {
    if (values !== undefined) for (let i = 0; i < values.length; i++) this.values[at + i] = values[i] as T
    else this.#error ??= { value: error }
    if (--this.#left === 0) this._settle(this.#error === undefined, this.#error === undefined ? this.values : this.#error.value)
  }
}

/** Tasks whose target is an {@link AsyncResult}. */
export const RESULT_SINK: TaskSink = {
  start: () => true,
  resolve: (task, value) => (task.target as AsyncResult)._settle(true, value),
  reject: (task, error) => (task.target as AsyncResult)._settle(false, error),
  cancel: (task, reason) => (task.target as AsyncResult)._settle(false, reason),
}

/** Chunk tasks of a {@link MapResult}; `task.index` is where the chunk starts. */
export const MAP_SINK: TaskSink = {
  start: () => true,
  resolve: (task, value) => (task.target as MapResult<unknown>)._chunk(task.index, value as unknown[]),
  reject: (task, error) => (task.target as MapResult<unknown>)._chunk(task.index, undefined, error),
  cancel: (task, reason) => (task.target as MapResult<unknown>)._chunk(task.index, undefined, reason),
}
