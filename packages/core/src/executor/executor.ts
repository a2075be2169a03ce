/**
 * Python's `concurrent.futures.Executor` over the backend seam: `ThreadPoolExecutor` and
 * `ProcessPoolExecutor` are this class with a backend's flavor.
 *
 * @module
 */
import type { TransferListItem } from '../backend.js'
import { RuntimeError } from '../errors.js'
import type { AnyFunction } from '../runner.js'
import { timeoutToMs } from '../internal/timeout.js'
import { Feed } from './feed.js'
import { type IterablesFor, type MapOptions, splitMapArgs, zipArgs, zipLazy } from './map-args.js'
import { CancelledError } from './errors.js'
import { Future, claimFuture, offerFuture, unofferFuture } from './future.js'
import { mapIterator } from './imap-iterator.js'
import { MODE_CALL, MODE_CHUNK, MODE_ONE, MODE_STAR_CHUNK, packChunk } from './protocol.js'
import { Task, type TaskSink } from './task.js'
import type { PoolFlavor } from './flavor.js'
import { engineFlavor, type EngineFlavor, type PoolEngine } from './engine.js'
import { checkBuffersize, checkChunksize, checkConcurrency, checkInitializer, checkMaxTasks, checkWorkers } from './validate.js'

/** Options of `new ThreadPoolExecutor(...)` / `new ProcessPoolExecutor(...)`. */
export interface ExecutorOptions<I extends AnyFunction = AnyFunction> {
  /** Worker count; default `min(32, cpus + 4)` for threads, `cpus` for processes. */
  readonly maxWorkers?: number | null | undefined
  /** Runs in each worker before its first task, with `initargs`. If it throws, the pool breaks. */
  readonly initializer?: I | null | undefined
  readonly initargs?: Readonly<Parameters<I>> | undefined
  /** A worker is replaced after this many tasks. */
  readonly maxTasksPerChild?: number | null | undefined
  /** Worker names are `<prefix>_<i>` (default `ThreadPoolExecutor-<n>` / `ProcessPoolExecutor-<n>`). */
  readonly threadNamePrefix?: string | undefined
  /**
   * The most tasks one worker runs at once (default 64). A task that returns a promise leaves its
   * worker free while it awaits (I/O, timers), so the worker starts the next ones meanwhile, up
   * to this many awaiting at once; synchronous tasks run one after another whatever the value.
   * `1` runs one task per worker at a time, as Python does (a Python task blocks its thread, so
   * Python has no such option: there `maxWorkers` bounds the tasks running at once; here
   * `maxWorkers × concurrentTasksPerWorker` does). Tasks with a `signal` or a `timeout` still run
   * alone on their worker. piscina's and tinypool's option of the same name.
   *
   * @example
   * ```ts
   * // Up to 2 × 200 requests awaiting at once, on 2 workers.
   * const executor = new ThreadPoolExecutor({ maxWorkers: 2, concurrentTasksPerWorker: 200 })
   * ```
   */
  readonly concurrentTasksPerWorker?: number | null | undefined
}

/** Per-task options of {@link Executor.submitWith}. */
export interface TaskOptions {
  /** Aborting it withdraws a queued task (the future is cancelled) or stops a running one. */
  readonly signal?: AbortSignal | undefined
  /** Seconds the task may run; then its worker is ended and the future fails with `TimeoutError`. */
  readonly timeout?: number | undefined
  /** `ArrayBuffer`s to move, not copy, to a worker thread (copied for processes). */
  readonly transfer?: readonly TransferListItem[] | undefined
}

export type { IterablesFor, MapOptions } from './map-args.js'

/** The sink of tasks whose target is a {@link Future}. */
export const FUTURE_SINK: TaskSink = {
  start: (task) => (task.target as Future).setRunningOrNotifyCancel(),
  resolve: (task, value) => (task.target as Future).setResult(value),
  reject(task, error) {
    const future = task.target as Future
    if (!future.done()) future.setException(error)
  },
  cancel: (task) => void (task.target as Future).cancel(),
  onCancel: (task, fn) => (task.target as Future).addDoneCallback((future) => future.cancelled() && fn()),
  offer: (task, offer) => offerFuture(task.target as Future, offer),
  claimed: (task) => claimFuture(task.target as Future),
  unoffer: (task) => unofferFuture(task.target as Future),
}

const counters = { thread: 0, process: 0 }

/**
 * Runs calls on a pool of workers and gives back {@link Future}s (Python's `Executor`). Use it
 * through `ThreadPoolExecutor` (`@conc/threading`) or `ProcessPoolExecutor`
 * (`@conc/multiprocessing`).
 *
 * @example
 * ```ts
 * export const square = (x: number) => x * x
 * if (isMain(import.meta)) {
 *   await using executor = new ProcessPoolExecutor({ maxWorkers: 4 })
 *   console.log(await executor.submit(square, 3))                  // 9
 *   for await (const y of executor.map(square, [1, 2, 3])) console.log(y)
 * }
 * ```
 */
export class Executor {
  readonly #pool: PoolEngine
  /** The most workers this executor runs at once. */
  readonly maxWorkers: number
  #shutdown = false
  #stopped: Promise<void> | undefined

  constructor(flavor: PoolFlavor | EngineFlavor, options: ExecutorOptions = {}) {
    const engine = engineFlavor(flavor)
    const kind = engine.kind
    const maxWorkers = checkWorkers(options.maxWorkers, engine, 'maxWorkers', 'max_workers must be greater than 0')
    this.maxWorkers = maxWorkers
    const maxTasksPerChild = checkMaxTasks(options.maxTasksPerChild, 'max_tasks_per_child must be >= 1')
    checkInitializer(options.initializer)
    const concurrentTasksPerWorker = checkConcurrency(options.concurrentTasksPerWorker)
    if (options.initargs !== undefined) engine.checkInitargs(options.initargs)
    const n = ++counters[kind]
    const prefix = options.threadNamePrefix || `${kind === 'thread' ? 'ThreadPoolExecutor' : 'ProcessPoolExecutor'}-${n - 1}`
    this.#pool = engine.createEngine({
      maxWorkers,
      maxTasksPerChild,
      initializer: options.initializer ?? undefined,
      initargs: [...(options.initargs ?? [])],
      eager: false,
      onCrash: 'break',
      workerName: (i) => `${prefix}_${i - 1}`,
      concurrentTasksPerWorker,
    })
  }

  /** Ids (thread ids or pids) of the workers alive now. */
  get workerIds(): number[] {
    return this.#pool.workerIds
  }

  /**
   * Schedules `fn(...args)` and returns its {@link Future}. `args` are typed from `fn`.
   *
   * @throws {RuntimeError} after `shutdown()`
   * @throws {BrokenExecutor} when the pool is broken
   */
  submit<F extends AnyFunction>(fn: F, ...args: Parameters<F>): Future<Awaited<ReturnType<F>>> {
    return this.submitWith({}, fn, ...args)
  }

  /**
   * {@link Executor.submit} with per-task options: an `AbortSignal`, a timeout in seconds, a
   * transfer list.
   *
   * @example
   * ```ts
   * const ac = new AbortController()
   * const f = executor.submitWith({ signal: ac.signal, timeout: 5 }, slowWork, 42)
   * ac.abort()
   * ```
   */
  submitWith<F extends AnyFunction>(options: TaskOptions, fn: F, ...args: Parameters<F>): Future<Awaited<ReturnType<F>>> {
    this.#checkOpen()
    const entry = this.#pool.functions.get(fn)
    const future = new Future<Awaited<ReturnType<F>>>()
    const one = args.length === 1
    const task = new Task(entry, one ? MODE_ONE : MODE_CALL, one ? args[0] : args, FUTURE_SINK, future, 0)
    task.configure({ signal: options.signal, timeoutMs: timeoutToMs(options.timeout), transfer: options.transfer })
    this.#pool.push(task)
    return future
  }

  /**
   * Python's `Executor.map(fn, *iterables, timeout, chunksize)`: calls `fn` on every item now
   * (before iteration) and yields the results in order. Several iterables are zipped, stopping at
   * the shortest: `map(add, xs, ys)` calls `add(x, y)`. The options come last, as a plain object
   * (`{ timeout, chunksize }`). A call's error is thrown when its result is reached. With
   * `chunksize`, items travel to workers in chunks (much faster for small tasks).
   *
   * @example
   * ```ts
   * for await (const y of executor.map(square, range, { chunksize: 1000 })) total += y
   * for await (const s of executor.map(add, [1, 2, 3], [10, 20])) console.log(s) // 11, 22
   * ```
   * @throws {TypeError} for an argument that is neither an iterable nor (last) the options
   * @throws {ValueError} when `chunksize < 1`
   */
  map<F extends AnyFunction>(fn: F, ...iterables: IterablesFor<Parameters<F>>): AsyncIterableIterator<Awaited<ReturnType<F>>>
  map<F extends AnyFunction>(fn: F, ...iterablesThenOptions: [...IterablesFor<Parameters<F>>, MapOptions]): AsyncIterableIterator<Awaited<ReturnType<F>>>
  map(fn: AnyFunction, ...args: unknown[]): AsyncIterableIterator<unknown> {
    const { iterables, options } = splitMapArgs(args)
    const chunksize = checkChunksize(options.chunksize, 'chunksize must be >= 1.') ?? 1
    const buffersize = checkBuffersize(options.buffersize) ?? this.#pool.buffersize
    const deadline = timeoutToMs(options.timeout)
    const started = performance.now()
    this.#checkOpen()
    const entry = this.#pool.functions.get(fn)
    const single = iterables.length === 1
    const first = iterables[0]
    const end = deadline === undefined ? undefined : started + deadline
    if (buffersize !== undefined) {
      const mode = chunksize === 1 ? (single ? MODE_ONE : MODE_CALL) : single ? MODE_CHUNK : MODE_STAR_CHUNK
      const submit = (chunk: unknown[]): Future<unknown> => {
        // After shutdown the rest of the input is not submitted: the results end with this
        // RuntimeError (Python 3.14's buffered map: its next submit raises it).
        this.#checkOpen()
        const future = new Future()
        this.#pool.push(new Task(entry, mode, chunksize === 1 ? chunk[0] : packChunk(chunk), FUTURE_SINK, future, 0))
        return future
      }
      const items = single ? (first as Iterable<unknown>) : zipLazy(iterables)
      return mapIterator(new Feed(items, chunksize, submit, buffersize, true), chunksize > 1, end)
    }
    // One iterable: each item is the argument; several: each zipped row is the argument list.
    const items = single && Array.isArray(first) ? (first as readonly unknown[]) : single ? Array.from(first as Iterable<unknown>) : zipArgs(iterables)
    const futures: Future<unknown>[] = []
    if (chunksize === 1) {
      for (const item of items) {
        const future = new Future()
        this.#pool.push(new Task(entry, single ? MODE_ONE : MODE_CALL, item, FUTURE_SINK, future, 0))
        futures.push(future)
      }
    } else {
      for (let i = 0; i < items.length; i += chunksize) {
        const future = new Future()
        this.#pool.push(new Task(entry, single ? MODE_CHUNK : MODE_STAR_CHUNK, packChunk(items.slice(i, i + chunksize)), FUTURE_SINK, future, 0))
        futures.push(future)
      }
    }
    return mapIterator(Feed.of(futures, true), chunksize > 1, end)
  }

  /**
   * Ends every worker now with SIGTERM (Python 3.14's `terminate_workers()`): calls not started are
   * cancelled, running ones fail with `BrokenThreadPool`/`BrokenProcessPool`, and the executor is
   * broken (shut down, `submit` raises). Resolves once the workers have exited. Over an engine
   * whose workers are not this program's (`@conc/distributed`), this executor's tasks are
   * withdrawn and stopped where they run; the workers themselves go on (see the engine's docs).
   *
   * @example
   * ```ts
   * const f = executor.submit(forever)
   * await executor.terminateWorkers()
   * await f.catch((e) => console.log(e.name)) // BrokenProcessPool
   * ```
   */
  terminateWorkers(): Promise<void> {
    return this.#endWorkers(false)
  }

  /** {@link Executor.terminateWorkers} with SIGKILL (Python 3.14's `kill_workers()`). */
  killWorkers(): Promise<void> {
    return this.#endWorkers(true)
  }

  #endWorkers(kill: boolean): Promise<void> {
    this.#shutdown = true
    this.#pool.cancelQueued(new CancelledError())
    const ended = this.#pool.endWorkers(kill)
    this.#stopped ??= ended
    return ended
  }

  /**
   * Stops taking tasks. With `wait` (default) resolves once every queued and running task is
   * done and the workers have ended (on a broken executor too); `cancelFutures` cancels the tasks
   * that have not started. Calling it again is harmless.
   */
  async shutdown(options: { readonly wait?: boolean; readonly cancelFutures?: boolean } = {}): Promise<void> {
    this.#shutdown = true
    if (options.cancelFutures === true) this.#pool.cancelQueued(new CancelledError())
    this.#stopped ??= this.#pool.drain().then(() => this.#pool.stop())
    if (options.wait ?? true) await this.#stopped
  }

  /** `await using executor = new ThreadPoolExecutor()`: `shutdown({ wait: true })` at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ wait: true })
  }

  toString(): string {
    return `<${this.constructor.name} ${this.#shutdown ? 'shutdown' : 'running'}>`
  }

  #checkOpen(): void {
    const broken = this.#pool.broken
    if (broken !== undefined) throw broken
    if (this.#shutdown) throw new RuntimeError('cannot schedule new futures after shutdown')
  }
}
