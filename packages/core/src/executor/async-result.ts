/**
 * Python's `multiprocessing.pool.AsyncResult` (and `MapResult`): what `applyAsync` and
 * `mapAsync` return.
 *
 * @module
 */
import { ValueError } from '../errors.js'
import { TimeoutError } from './errors.js'
import { Future } from './future.js'
import { packedArray } from './protocol.js'
import type { TaskSink } from './task.js'

/** Callbacks of `applyAsync` / `mapAsync`; they run in the parent, as Python's do. */
export interface ResultCallbacks<T> {
  /** Called with the result when the task succeeds. */
  readonly callback?: ((result: T) => void) | undefined
  /** Called with the error when the task fails. */
  readonly errorCallback?: ((error: unknown) => void) | undefined
}

/**
 * The result of `pool.applyAsync(...)` / `pool.mapAsync(...)`. Awaitable, and with Python's
 * `get(timeout)`, `wait(timeout)`, `ready()`, `successful()`.
 *
 * @example
 * ```ts
 * const r = pool.applyAsync(square, [7])
 * console.log(await r.get(5)) // 49, or TimeoutError after 5 s
 * ```
 */
export class AsyncResult<T = unknown> implements PromiseLike<T> {
  readonly #future = new Future<T>()

  constructor(callbacks: ResultCallbacks<T> = {}) {
    const { callback, errorCallback } = callbacks
    if (callback !== undefined || errorCallback !== undefined) {
      this.#future.addDoneCallback((f) => {
        void f.exception().then((error) => {
          if (error === null) void f.result().then((value) => callback?.(value))
          else errorCallback?.(error)
        }, () => undefined)
      })
    }
  }

  /** The result; throws the task's error, or {@link TimeoutError} after `timeout` seconds. */
  async get(timeout?: number | null): Promise<T> {
    return this.#future.result(timeout)
  }

  /** Waits until the result is ready, or until `timeout` seconds pass. */
  async wait(timeout?: number | null): Promise<void> {
    try {
      await this.#future.exception(timeout)
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error
    }
  }

  /** True once the task has finished. */
  ready(): boolean {
    return this.#future.done()
  }

  /** True if the task finished without error. @throws {ValueError} if it is not ready */
  successful(): boolean {
    if (!this.ready()) throw new ValueError(`${this.toString()} not ready`)
    return !this.#future.cancelled() && FAILED.has(this as AsyncResult<unknown>) === false
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#future.then(onfulfilled, onrejected)
  }

  toString(): string {
    return `<AsyncResult ${this.ready() ? 'ready' : 'pending'}>`
  }

  /** @internal */
  _settle(ok: boolean, value: unknown): void {
    if (this.#future.done()) return
    if (ok) this.#future.setResult(value as T)
    else {
      FAILED.add(this as AsyncResult<unknown>)
      this.#future.setException(value)
    }
  }
}

const FAILED = new WeakSet<AsyncResult<unknown>>()

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
