/**
 * Python's `multiprocessing.Queue` / `queue.Queue`, `JoinableQueue` and `SimpleQueue`.
 *
 * @module
 */
import { ValueError } from '../errors.js'
import { checkInteger } from '../internal/validate.js'
import { OSError } from './errors.js'
import { type QueueOptions, type WaitOptions, parseQueue, parseWait } from './internal/options.js'
import { QueueState } from './internal/queue-state.js'
import { type Description, Primitive, kDescribe, refuseInMessage } from './internal/shared.js'
import { registerPrimitive } from './internal/travel.js'
import { sendError } from './internal/send-error.js'

/**
 * Python's `Queue(maxsize=0)`: a FIFO queue shared by every unit it is passed to, for any value
 * that can cross to a unit (it travels by V8 serialization, as a pickle does). `maxsize <= 0`
 * means unbounded.
 *
 * @example
 * ```ts
 * const q = new Queue<number>(6)
 * await q.put(1)
 * await q.get({ timeout: 0.5 })   // 1, or throws Empty after 0.5 s
 * ```
 */
export class Queue<T = unknown> extends Primitive {
  /** The bound given to the constructor (0 or less: unbounded). */
  readonly maxsize: number
  #closed = false

  constructor(maxsize = 0) {
    checkInteger(maxsize, 'maxsize')
    super(() => QueueState.create(maxsize))
    this.maxsize = maxsize
  }

  protected check(): void {
    if (this.#closed) throw new ValueError(`Queue ${String(this)} is closed`)
  }

  /**
   * Puts `item` at the end, waiting for room when the queue is full. `put(item, false)` or
   * `{ block: false }` raises `Full` at once; `{ timeout }` raises `Full` after that many seconds.
   *
   * @throws {Full} see above; {ValueError} when closed or for a negative timeout
   */
  async put(item: T, block?: boolean | QueueOptions, timeout?: number | null): Promise<void> {
    this.check()
    refuseInMessage(item)
    const o = parseQueue(block, timeout)
    try {
      await this.op('put', [item, o.blocking, o.ms], o.signal)
    } catch (error) {
      throw sendError(error, item, `${this.constructor.name}.put()`)
    }
  }

  /** `put(item, false)`. */
  putNowait(item: T): Promise<void> {
    return this.put(item, false)
  }

  /**
   * Removes and returns the oldest item, waiting for one. `get(false)` or `{ block: false }`
   * raises `Empty` at once; `{ timeout }` raises `Empty` after that many seconds.
   *
   * @throws {Empty} see above; {ValueError} when closed or for a negative timeout
   */
  async get(block?: boolean | QueueOptions, timeout?: number | null): Promise<T> {
    this.check()
    const o = parseQueue(block, timeout)
    return this.op<T>('get', [o.blocking, o.ms], o.signal)
  }

  /** `get(false)`. */
  getNowait(): Promise<T> {
    return this.get(false)
  }

  /** How many items are in the queue now (exact: the count is shared). */
  async qsize(): Promise<number> {
    return this.op<number>('qsize')
  }

  /** Whether the queue holds no items now. */
  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0
  }

  /** Whether the queue holds `maxsize` items now. */
  async full(): Promise<boolean> {
    const max = this.maxsize
    return max > 0 && (await this.qsize()) >= max
  }

  /**
   * This handle will not be used again: later `put()`/`get()` on it raise `ValueError`. Other
   * units' handles keep working, as in Python, where `close()` is per process.
   */
  close(): void {
    this.#closed = true
  }

  /** @internal */
  override [kDescribe](): Description {
    return { type: this instanceof JoinableQueue ? 'JoinableQueue' : 'Queue', meta: { maxsize: this.maxsize } }
  }

  override toString(): string {
    return `<${this.constructor.name} maxsize=${this.maxsize}>`
  }
}

/**
 * Python's `JoinableQueue(maxsize=0)`: a `Queue` whose `join()` waits until every item put has
 * been marked done with `taskDone()`.
 *
 * @example
 * ```ts
 * // consumer: const job = await q.get(); work(job); await q.taskDone()
 * await q.join()   // every job done
 * ```
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /** Marks one item taken with `get()` as processed. @throws {ValueError} when called too many times */
  taskDone(): Promise<void> {
    return this.op('taskDone')
  }

  /** Waits until every item put has been marked done; `false` only after `timeout` seconds. */
  join(timeout?: number | null | WaitOptions): Promise<boolean> {
    try {
      const o = parseWait(timeout)
      return this.op('join', [o.ms], o.signal)
    } catch (error) {
      return Promise.reject(error)
    }
  }
}

/**
 * Python's `SimpleQueue()`: an unbounded queue with only `put`, `get`, `empty` and `close`.
 *
 * @example
 * ```ts
 * const q = new SimpleQueue<string>()
 * await q.put('hello'); await q.get() // 'hello'
 * ```
 */
export class SimpleQueue<T = unknown> extends Primitive {
  #closed = false

  constructor() {
    super(() => QueueState.create(0))
  }

  private check(): void {
    if (this.#closed) throw new OSError('handle is closed')
  }

  /** Puts `item` at the end. */
  async put(item: T): Promise<void> {
    this.check()
    refuseInMessage(item)
    try {
      await this.op('put', [item, true, undefined])
    } catch (error) {
      throw sendError(error, item, 'SimpleQueue.put()')
    }
  }

  /** Removes and returns the oldest item, waiting for one (or until `signal` aborts). */
  async get(options?: { readonly signal?: AbortSignal | undefined }): Promise<T> {
    this.check()
    return this.op<T>('get', [true, undefined], options?.signal)
  }

  /** Whether the queue holds no items now. @throws {OSError} after `close()` */
  async empty(): Promise<boolean> {
    this.check()
    return (await this.op<number>('qsize')) === 0
  }

  /** This handle will not be used again. Idempotent. */
  close(): void {
    this.#closed = true
  }

  /** @internal */
  override [kDescribe](): Description {
    return { type: 'SimpleQueue', meta: null }
  }

  override toString(): string {
    return '<SimpleQueue>'
  }
}

registerPrimitive('Queue', import.meta.url, { state: QueueState.fromShared, build: (meta) => () => new Queue(meta.maxsize as number) })
registerPrimitive('JoinableQueue', import.meta.url, { state: QueueState.fromShared, build: (meta) => () => new JoinableQueue(meta.maxsize as number) })
registerPrimitive('SimpleQueue', import.meta.url, { state: QueueState.fromShared, build: () => () => new SimpleQueue() })
