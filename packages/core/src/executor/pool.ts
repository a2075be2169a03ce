/**
 * Python's `multiprocessing.Pool` over the backend seam: `Pool` (processes) and `ThreadPool`
 * (threads, Python's `multiprocessing.pool.ThreadPool`) are this class with a backend's flavor.
 *
 * @module
 */
import { availableParallelism } from 'node:os'
import type { TransferListItem } from '../backend.js'
import { ValueError } from '../errors.js'
import type { AnyFunction } from '../runner.js'
import { timeoutToMs } from '../internal/timeout.js'
import { AsyncResult, MAP_SINK, MapResult, RESULT_SINK, type ResultCallbacks } from './async-result.js'
import { CancelledError } from './errors.js'
import { FUTURE_SINK } from './executor.js'
import { Future } from './future.js'
import { mapInOrder } from './map-iterator.js'
import { MODE_CALL, MODE_CHUNK, MODE_STAR_CHUNK, packChunk, type TaskMode } from './protocol.js'
import { Task } from './task.js'
import { asCompleted } from './wait.js'
import type { PoolFlavor } from './flavor.js'
import { WorkerPool } from './worker-pool.js'
import { checkInitializer, checkMaxTasks, checkWorkers } from './validate.js'

export { AsyncResult }

/** Options of `new Pool(...)` / `new ThreadPool(...)`. */
export interface PoolOptions<I extends AnyFunction = AnyFunction> {
  /** Worker count; default: the number of CPUs. */
  readonly processes?: number | null | undefined
  /** Runs in each worker before its first task, with `initargs`. */
  readonly initializer?: I | null | undefined
  readonly initargs?: Readonly<Parameters<I>> | undefined
  /** A worker is replaced after this many tasks. */
  readonly maxTasksPerChild?: number | null | undefined
}

/** Options of `applyAsync`: callbacks plus what Node users expect per task. */
export interface PoolTaskOptions<T> extends ResultCallbacks<T> {
  /** Aborting it withdraws a queued task or stops a running one (its worker is replaced). */
  readonly signal?: AbortSignal | undefined
  /** Seconds the task may run; then its worker is ended and the result fails with `TimeoutError`. */
  readonly timeout?: number | undefined
  /** `ArrayBuffer`s to move, not copy, to a worker thread. */
  readonly transfer?: readonly TransferListItem[] | undefined
}

/** Options of the `map` family. */
export interface PoolMapOptions<T = unknown> extends ResultCallbacks<T> {
  /** Items per task; default `ceil(n / (4 × workers))` for `map`, 1 for `imap`. */
  readonly chunksize?: number | null | undefined
}

type State = 'RUN' | 'CLOSE' | 'TERMINATE'
type Item<F> = F extends (arg: infer A, ...rest: never[]) => unknown ? A : never

/**
 * A pool of workers with Python's `multiprocessing.Pool` API, made async. Use it through `Pool`
 * (`@conc/multiprocessing`) or `ThreadPool` (`@conc/threading`). Unlike Python's, a worker that
 * dies fails only its own tasks (with `BrokenProcessPool`) and is replaced: nothing hangs.
 *
 * @example
 * ```ts
 * export const square = (x: number) => x * x
 * if (isMain(import.meta)) {
 *   await using pool = new Pool({ processes: 4 })
 *   console.log(await pool.map(square, [1, 2, 3]))        // [1, 4, 9]
 *   for await (const y of pool.imapUnordered(square, [4, 5])) console.log(y)
 * }
 * ```
 */
export class BasePool {
  readonly #pool: WorkerPool
  readonly #size: number
  #state: State = 'RUN'
  #stopped: Promise<void> | undefined

  constructor(flavor: PoolFlavor, options: PoolOptions = {}) {
    const size = checkWorkers(options.processes, { ...flavor, defaultMaxWorkers: () => availableParallelism() || 1 }, 'Number of processes must be at least 1')
    const maxTasksPerChild = checkMaxTasks(options.maxTasksPerChild, 'maxtasksperchild must be a positive int or None')
    checkInitializer(options.initializer)
    const prefix = flavor.backend.kind === 'thread' ? 'Thread' : 'SpawnPoolWorker'
    this.#size = size
    this.#pool = new WorkerPool(flavor, {
      maxWorkers: size,
      maxTasksPerChild,
      initializer: options.initializer ?? undefined,
      initargs: [...(options.initargs ?? [])],
      eager: true,
      onCrash: 'replace',
      workerName: (i) => `${prefix}-${i}`,
    })
  }

  /** Ids (thread ids or pids) of the workers alive now. */
  get workerIds(): number[] {
    return this.#pool.workerIds
  }

  /** `fn(...args)` in a worker; resolves to its result. */
  async apply<F extends AnyFunction>(fn: F, args?: Readonly<Parameters<F>>): Promise<Awaited<ReturnType<F>>> {
    return this.applyAsync(fn, args).get()
  }

  /** Schedules `fn(...args)`; the {@link AsyncResult} settles with its result or error. */
  applyAsync<F extends AnyFunction>(fn: F, args?: Readonly<Parameters<F>>, options: PoolTaskOptions<Awaited<ReturnType<F>>> = {}): AsyncResult<Awaited<ReturnType<F>>> {
    this.#checkRunning()
    const entry = this.#pool.functions.get(fn, 'func')
    const result = new AsyncResult<Awaited<ReturnType<F>>>(options)
    const task = new Task(entry, MODE_CALL, [...(args ?? [])], RESULT_SINK, result, 0)
    task.configure({ signal: options.signal, timeoutMs: timeoutToMs(options.timeout), transfer: options.transfer })
    this.#pool.push(task)
    return result
  }

  /** `fn` over every item, results in order. Not fail-fast: the first error is thrown once all items ran. */
  async map<F extends AnyFunction>(fn: F, iterable: Iterable<Item<F>>, options: PoolMapOptions<Awaited<ReturnType<F>>[]> = {}): Promise<Awaited<ReturnType<F>>[]> {
    return this.mapAsync(fn, iterable, options).get()
  }

  mapAsync<F extends AnyFunction>(fn: F, iterable: Iterable<Item<F>>, options: PoolMapOptions<Awaited<ReturnType<F>>[]> = {}): AsyncResult<Awaited<ReturnType<F>>[]> {
    return this.#mapAsync(fn, iterable, MODE_CHUNK, options as PoolMapOptions) as AsyncResult<Awaited<ReturnType<F>>[]>
  }

  /** Like {@link BasePool.map}, each item being the argument list: `starmap(pow, [[2, 3]])`. */
  async starmap<F extends AnyFunction>(fn: F, iterable: Iterable<Readonly<Parameters<F>>>, options: PoolMapOptions<Awaited<ReturnType<F>>[]> = {}): Promise<Awaited<ReturnType<F>>[]> {
    return this.starmapAsync(fn, iterable, options).get()
  }

  starmapAsync<F extends AnyFunction>(fn: F, iterable: Iterable<Readonly<Parameters<F>>>, options: PoolMapOptions<Awaited<ReturnType<F>>[]> = {}): AsyncResult<Awaited<ReturnType<F>>[]> {
    return this.#mapAsync(fn, iterable, MODE_STAR_CHUNK, options as PoolMapOptions) as AsyncResult<Awaited<ReturnType<F>>[]>
  }

  /** Results in order, as they become available (default `chunksize` 1). */
  imap<F extends AnyFunction>(fn: F, iterable: Iterable<Item<F>>, options: PoolMapOptions = {}): AsyncIterableIterator<Awaited<ReturnType<F>>> {
    const futures = this.#submitChunks(fn, iterable, options.chunksize ?? 1)
    return mapInOrder(futures, true, undefined) as AsyncIterableIterator<Awaited<ReturnType<F>>>
  }

  /** Results in the order they finish. */
  async *imapUnordered<F extends AnyFunction>(fn: F, iterable: Iterable<Item<F>>, options: PoolMapOptions = {}): AsyncGenerator<Awaited<ReturnType<F>>, void, undefined> {
    const futures = this.#submitChunks(fn, iterable, options.chunksize ?? 1)
    for await (const future of asCompleted(futures)) {
      for (const value of (await future.result()) as Awaited<ReturnType<F>>[]) yield value
    }
  }

  /** No more tasks; the workers end once the queued ones are done. */
  close(): void {
    if (this.#state !== 'RUN') return
    this.#state = 'CLOSE'
    this.#stopped = this.#pool.drain().then(() => this.#pool.stop())
  }

  /** Ends the workers now; unfinished results fail with `CancelledError`. */
  terminate(): void {
    if (this.#state === 'TERMINATE') return
    this.#state = 'TERMINATE'
    const closing = this.#stopped ?? Promise.resolve()
    this.#stopped = Promise.all([closing, this.#pool.terminate(() => new CancelledError('the pool was terminated'))]).then(() => undefined)
  }

  /** Waits for the workers to end; only after `close()` or `terminate()`. */
  async join(): Promise<void> {
    if (this.#state === 'RUN' || this.#stopped === undefined) throw new ValueError('Pool is still running')
    await this.#stopped
  }

  /** `await using pool = new Pool()`: `terminate()` then `join()` at scope end, as Python's `with`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.terminate()
    await this.join()
  }

  toString(): string {
    return `<${this.constructor.name} state=${this.#state} pool_size=${this.#size}>`
  }

  #checkRunning(): void {
    if (this.#state !== 'RUN') throw new ValueError('Pool not running')
    const broken = this.#pool.broken
    if (broken !== undefined) throw broken
  }

  #mapAsync(fn: unknown, iterable: Iterable<unknown>, mode: TaskMode, options: PoolMapOptions): AsyncResult<unknown[]> {
    this.#checkRunning()
    const entry = this.#pool.functions.get(fn, 'func')
    const items = Array.isArray(iterable) ? (iterable as readonly unknown[]) : Array.from(iterable)
    const chunksize = options.chunksize ?? Math.max(1, Math.ceil(items.length / (4 * this.#size)))
    if (!(chunksize >= 1)) throw new ValueError('Chunksize must be 1+, not ' + String(chunksize))
    const chunks = Math.ceil(items.length / chunksize)
    const result = new MapResult<unknown>(items.length, chunks, options as ResultCallbacks<unknown[]>)
    for (let i = 0; i < items.length; i += chunksize) {
      this.#pool.push(new Task(entry, mode, packChunk(items.slice(i, i + chunksize)), MAP_SINK, result, i))
    }
    return result
  }

  /** Submits chunks of a lazy `imap`; an error from the input ends the results where it happened. */
  #submitChunks(fn: unknown, iterable: Iterable<unknown>, chunksize: number): Future<unknown>[] {
    this.#checkRunning()
    if (!(chunksize >= 1)) throw new ValueError('Chunksize must be 1+, not ' + String(chunksize))
    const entry = this.#pool.functions.get(fn, 'func')
    const futures: Future<unknown>[] = []
    let chunk: unknown[] = []
    const flush = (): void => {
      if (chunk.length === 0) return
      const future = new Future()
      this.#pool.push(new Task(entry, MODE_CHUNK, packChunk(chunk), FUTURE_SINK, future, 0))
      futures.push(future)
      chunk = []
    }
    try {
      for (const item of iterable) {
        chunk.push(item)
        if (chunk.length >= chunksize) flush()
      }
      flush()
    } catch (error) {
      flush()
      const failed = new Future()
      failed.setException(error)
      futures.push(failed)
    }
    return futures
  }
}
