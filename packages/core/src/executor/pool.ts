/**
 * Python's `multiprocessing.Pool` over the backend seam: `Pool` (processes) and `ThreadPool`
 * (threads, Python's `multiprocessing.pool.ThreadPool`) are this class with a backend's flavor.
 *
 * @module
 */
import type { TransferListItem } from '../backend.js'
import { ConcTypeError, ValueError } from '../errors.js'
import { show } from '../internal/validate.js'
import type { AnyFunction } from '../runner.js'
import { timeoutToMs } from '../internal/timeout.js'
import { AsyncResult, MAP_SINK, MapResult, RESULT_SINK, type ResultCallbacks } from './async-result.js'
import { CancelledError } from './errors.js'
import { FUTURE_SINK } from './executor.js'
import { Future } from './future.js'
import { Feed } from './feed.js'
import { isIterable } from './map-args.js'
import { imapIterator, type IMapIterator } from './imap-iterator.js'
import { BATCH_BYTES, MODE_CALL, MODE_CHUNK, MODE_ONE, MODE_STAR_CHUNK, argumentDepth, packChunk, payloadBytes, type TaskMode } from './protocol.js'
import { Task } from './task.js'
import type { PoolFlavor } from './flavor.js'
import { engineFlavor, type EngineFlavor, type PoolEngine } from './engine.js'
import { checkBuffersize, checkChunksize, checkConcurrency, checkInitializer, checkMaxTasks, checkOptions, checkWorkers } from './validate.js'

export { AsyncResult }
export type { IMapIterator }

/** Options of `new Pool(...)` / `new ThreadPool(...)`. */
export interface PoolOptions<I extends AnyFunction = AnyFunction> {
  /** Worker count; default: the number of CPUs. */
  readonly processes?: number | null | undefined
  /**
   * Runs in each worker before its first task, with `initargs`. A worker whose initializer throws
   * is replaced; after 5 such workers in a row the pool is broken (the error is the `cause`).
   */
  readonly initializer?: I | null | undefined
  readonly initargs?: Readonly<Parameters<I>> | undefined
  /** A worker is replaced after this many tasks. */
  readonly maxTasksPerChild?: number | null | undefined
  /**
   * The most tasks one worker runs at once (default 64). A task that returns a promise leaves its
   * worker free while it awaits (I/O, timers), so the worker starts the next ones meanwhile, up
   * to this many awaiting at once; synchronous tasks run one after another whatever the value.
   * `1` runs one task per worker at a time, as Python does (a Python task blocks its thread, so
   * Python has no such option: there the pool's size bounds the tasks running at once; here
   * `processes × concurrentTasksPerWorker` does). Tasks with a `signal` or a `timeout` still run
   * alone on their worker. piscina's and tinypool's option of the same name.
   *
   * @example
   * ```ts
   * // Up to 2 × 200 requests awaiting at once, on 2 workers.
   * const pool = new ThreadPool({ processes: 2, concurrentTasksPerWorker: 200 })
   * ```
   */
  readonly concurrentTasksPerWorker?: number | null | undefined
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
  /**
   * Items per task; default `ceil(n / (4 × workers))` for `map` (a default chunk also ends before
   * an item that would take its binary data and strings past 256 KiB), 1 for `imap`.
   */
  readonly chunksize?: number | null | undefined
  /**
   * `imap`/`imapUnordered`: chunks submitted ahead of the results consumed, so the input may be
   * huge or endless. Default: all at once (the distributed pool reads a bounded window by default).
   */
  readonly buffersize?: number | null | undefined
}

/**
 * Where the chunks of `map` end: every `chunksize` items, and (`bySize`, the default chunks)
 * before an item that would take the chunk's binary data and strings past BATCH_BYTES (one item
 * at least), so that big items travel one or a few at a time: a chunk is one message, and across
 * machines one job, whose size is limited. An item counts with what it holds one level down (a
 * plain object's or an array's own values: `{ name, data }`, `[name, bytes]`; a `starmap` item,
 * an array of arguments, one level more: each argument's own values), which costs a map of a
 * million small records about 25 ns an item.
 */
function chunkEnds(items: readonly unknown[], chunksize: number, bySize: boolean, mode: TaskMode): number[] {
  const ends: number[] = []
  if (!bySize) {
    for (let end = chunksize; end < items.length; end += chunksize) ends.push(end)
    if (items.length > 0) ends.push(items.length)
    return ends
  }
  let count = 0
  let bytes = 0
  for (let i = 0; i < items.length; i++) {
    // An item's depth: one task's arguments less a level (a map item is one argument).
    const size = payloadBytes(items[i], undefined, argumentDepth(mode) - 1)
    if (count > 0 && (count === chunksize || bytes + size > BATCH_BYTES)) {
      ends.push(i)
      count = bytes = 0
    }
    count++
    bytes += size
  }
  if (count > 0) ends.push(items.length)
  return ends
}

/** Python's `TypeError: 'int' object is not iterable`, naming the method and the value. */
function checkIterable(iterable: unknown, method: string): void {
  if (!isIterable(iterable)) throw new ConcTypeError(`${method}() argument 2 must be an iterable, got ${show(iterable)}`)
}

type State = 'RUN' | 'CLOSE' | 'TERMINATE'
type Item<F> = F extends (arg: infer A, ...rest: never[]) => unknown ? A : never
const chunksizeTooSmall = (n: number): string => `Chunksize must be 1+, not ${n}`

/**
 * A pool of workers with Python's `multiprocessing.Pool` API, made async. Use it through `Pool`
 * (`@conc/multiprocessing`) or `ThreadPool` (`@conc/threading`). Unlike Python's, a worker that
 * dies, at any time, fails only the tasks that were on it (with `BrokenProcessPool` /
 * `BrokenThreadPool`) and is replaced: nothing hangs. Workers that keep failing to start (5 in a
 * row: the initializer threw, or the worker exited before it was ready) break the pool.
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
  readonly #pool: PoolEngine
  readonly #size: number
  #state: State = 'RUN'
  /** `imap`s whose input is not all submitted yet (a `buffersize`): `close()` lets them finish. */
  readonly #feeds = new Set<Feed>()
  #stopped: Promise<void> | undefined

  constructor(flavor: PoolFlavor | EngineFlavor, options: PoolOptions = {}) {
    const engine = engineFlavor(flavor)
    const size = checkWorkers(options.processes, { defaultMaxWorkers: () => process.getBuiltinModule('node:os').availableParallelism() || 1 }, 'processes', 'Number of processes must be at least 1')
    const maxTasksPerChild = checkMaxTasks(options.maxTasksPerChild, 'maxtasksperchild must be a positive int or None')
    checkInitializer(options.initializer)
    const concurrentTasksPerWorker = checkConcurrency(options.concurrentTasksPerWorker)
    const prefix = engine.kind === 'thread' ? 'Thread' : 'SpawnPoolWorker'
    this.#size = size
    this.#pool = engine.createEngine({
      maxWorkers: size,
      maxTasksPerChild,
      initializer: options.initializer ?? undefined,
      initargs: [...(options.initargs ?? [])],
      eager: true,
      onCrash: 'replace',
      workerName: (_i, identity) => `${prefix}-${identity.join(':')}`,
      concurrentTasksPerWorker,
    })
  }

  /** Ids (thread ids or pids) of the workers alive now. */
  get workerIds(): number[] {
    return this.#pool.workerIds
  }

  /**
   * `fn(...args)` in a worker; resolves to its result. `args` left out: no arguments.
   *
   * @throws {ConcTypeError} when `args` is not iterable (`null` included), as Python's `func(*None)`
   */
  apply<F extends AnyFunction>(fn: F, args?: Readonly<Parameters<F>>): Promise<Awaited<ReturnType<F>>> {
    // Not `async`: that would wrap the result's promise in one more (and a job to adopt it).
    try {
      if (args !== undefined) checkIterable(args, 'apply')
      return this.applyAsync(fn, args).get()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Schedules `fn(...args)`; the {@link AsyncResult} settles with its result or error. */
  applyAsync<F extends AnyFunction>(fn: F, args?: Readonly<Parameters<F>>, options: PoolTaskOptions<Awaited<ReturnType<F>>> = {}): AsyncResult<Awaited<ReturnType<F>>> {
    this.#checkRunning()
    if (args !== undefined) checkIterable(args, 'applyAsync')
    const given: PoolTaskOptions<Awaited<ReturnType<F>>> = checkOptions(options, 'applyAsync')
    const entry = this.#pool.functions.get(fn, 'func')
    const result = new AsyncResult<Awaited<ReturnType<F>>>(given)
    const task = new Task(entry, MODE_CALL, [...(args ?? [])], RESULT_SINK, result, 0)
    task.configure({ signal: given.signal, timeoutMs: timeoutToMs(given.timeout), transfer: given.transfer })
    this.#pool.push(task)
    return result
  }

  /** `fn` over every item, results in order. Not fail-fast: the first error is thrown once all items ran. */
  map<F extends AnyFunction>(fn: F, iterable: Iterable<Item<F>>, options: PoolMapOptions<Awaited<ReturnType<F>>[]> = {}): Promise<Awaited<ReturnType<F>>[]> {
    try {
      return this.mapAsync(fn, iterable, options).get()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  mapAsync<F extends AnyFunction>(fn: F, iterable: Iterable<Item<F>>, options: PoolMapOptions<Awaited<ReturnType<F>>[]> = {}): AsyncResult<Awaited<ReturnType<F>>[]> {
    return this.#mapAsync(fn, iterable, MODE_CHUNK, options as PoolMapOptions) as AsyncResult<Awaited<ReturnType<F>>[]>
  }

  /** Like {@link BasePool.map}, each item being the argument list: `starmap(pow, [[2, 3]])`. */
  starmap<F extends AnyFunction>(fn: F, iterable: Iterable<Readonly<Parameters<F>>>, options: PoolMapOptions<Awaited<ReturnType<F>>[]> = {}): Promise<Awaited<ReturnType<F>>[]> {
    try {
      return this.starmapAsync(fn, iterable, options).get()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  starmapAsync<F extends AnyFunction>(fn: F, iterable: Iterable<Readonly<Parameters<F>>>, options: PoolMapOptions<Awaited<ReturnType<F>>[]> = {}): AsyncResult<Awaited<ReturnType<F>>[]> {
    return this.#mapAsync(fn, iterable, MODE_STAR_CHUNK, options as PoolMapOptions) as AsyncResult<Awaited<ReturnType<F>>[]>
  }

  /**
   * Results in order, as they become available (default `chunksize` 1). As in Python, a failed
   * item throws from the `next()` that reaches it and the following `next()` goes on with the
   * next items; `next(timeout)` waits at most `timeout` seconds (see {@link IMapIterator}).
   *
   * @example
   * ```ts
   * const it = pool.imap(square, [1, 2, 3])
   * console.log(await it.next(5)) // { value: 1, done: false }, or TimeoutError after 5 s
   * for await (const y of it) console.log(y) // 4, 9
   * ```
   */
  imap<F extends AnyFunction>(fn: F, iterable: Iterable<Item<F>>, options: PoolMapOptions = {}): IMapIterator<Awaited<ReturnType<F>>> {
    const { feed, chunked } = this.#submitChunks(fn, iterable, options, true)
    return imapIterator(feed, chunked)
  }

  /** Results in the order they finish; failures and timeouts as in {@link BasePool.imap}. */
  imapUnordered<F extends AnyFunction>(fn: F, iterable: Iterable<Item<F>>, options: PoolMapOptions = {}): IMapIterator<Awaited<ReturnType<F>>> {
    const { feed, chunked } = this.#submitChunks(fn, iterable, options, false)
    return imapIterator(feed, chunked)
  }

  /** No more tasks; the workers end once the queued ones are done. */
  close(): void {
    if (this.#state !== 'RUN') return
    this.#state = 'CLOSE'
    // An `imap` with a `buffersize` was accepted before: its input is still submitted as its
    // results are consumed, and the workers stay until it is all done (as Python's pool).
    const feeds = [...this.#feeds].map((feed) => feed.done)
    this.#stopped = Promise.all(feeds)
      .then(() => this.#pool.drain())
      .then(() => this.#pool.stop())
  }

  /**
   * Ends the workers now; results not yet in fail with `CancelledError`. The workers keep the
   * program alive until they have exited, so `await pool.join()` after it always returns.
   */
  terminate(): void {
    if (this.#state === 'TERMINATE') return
    this.#state = 'TERMINATE'
    for (const feed of this.#feeds) feed.cancel()
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

  #mapAsync(fn: unknown, iterable: Iterable<unknown>, mode: TaskMode, asked: PoolMapOptions | null | undefined): AsyncResult<unknown[]> {
    this.#checkRunning()
    const method = mode === MODE_STAR_CHUNK ? 'starmap' : 'map'
    checkIterable(iterable, method)
    const options = checkOptions(asked, method) as PoolMapOptions
    const given = checkChunksize(options.chunksize, chunksizeTooSmall)
    const entry = this.#pool.functions.get(fn, 'func')
    const items = Array.isArray(iterable) ? (iterable as readonly unknown[]) : Array.from(iterable)
    const chunksize = given ?? Math.max(1, Math.ceil(items.length / (4 * this.#size)))
    const ends = chunkEnds(items, chunksize, given === undefined, mode)
    const result = new MapResult<unknown>(items.length, ends.length, options as ResultCallbacks<unknown[]>)
    let start = 0
    for (const end of ends) {
      this.#pool.push(new Task(entry, mode, packChunk(items.slice(start, end)), MAP_SINK, result, start))
      start = end
    }
    return result
  }

  /**
   * The chunks of an `imap`, submitted `buffersize` ahead of the consumer (all at once by
   * default); an error from the input ends the results where it happened.
   */
  #submitChunks(fn: unknown, iterable: Iterable<unknown>, options: PoolMapOptions, ordered: boolean): { feed: Feed; chunked: boolean } {
    this.#checkRunning()
    checkIterable(iterable, ordered ? 'imap' : 'imapUnordered')
    options = checkOptions(options, ordered ? 'imap' : 'imapUnordered')
    const chunksize = options.chunksize ?? 1
    checkChunksize(chunksize, chunksizeTooSmall)
    const buffersize = checkBuffersize(options.buffersize) ?? this.#pool.buffersize ?? Infinity
    const entry = this.#pool.functions.get(fn, 'func')
    // One item a task (the default): the item is the argument, as `submit`'s, not a chunk of one;
    // but a chunk of one on an engine that packs calls, which would fail such items together.
    const one = chunksize === 1 && this.#pool.packsCalls !== true
    const submit = (chunk: unknown[]): Future<unknown> => {
      const future = new Future()
      this.#pool.push(new Task(entry, one ? MODE_ONE : MODE_CHUNK, one ? chunk[0] : packChunk(chunk), FUTURE_SINK, future, 0))
      return future
    }
    const feed = new Feed(iterable, chunksize, submit, buffersize, ordered)
    if (!feed.ended) {
      this.#feeds.add(feed)
      void feed.done.then(() => this.#feeds.delete(feed))
    }
    return { feed, chunked: !one }
  }
}
