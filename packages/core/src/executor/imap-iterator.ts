/**
 * The iterators of `Pool.imap` and `Pool.imapUnordered` (Python's `IMapIterator` and
 * `IMapUnorderedIterator`), and of `Executor.map`. Each task is a chunk of items; a chunk's
 * values are handed out one by one. For `imap`, a failed chunk raises once, at its place, and the
 * next call goes on with the next chunk, as Python's iterator does; `next(timeout)` raises
 * {@link TimeoutError} without consuming anything. `Executor.map` walks the same futures in the
 * same order with two other rules: one deadline counted from the `map()` call, and the remaining
 * calls cancelled when a result fails or the iteration stops early (Python's `_result_or_cancel`).
 *
 * @module
 */
import { raceTimeout, timeoutToMs } from '../internal/timeout.js'
import { TimeoutError } from './errors.js'
import type { Feed } from './feed.js'
import type { Future } from './future.js'

/**
 * What `pool.imap()` and `pool.imapUnordered()` return: an async iterator of the results whose
 * `next()` takes Python's timeout, in seconds.
 *
 * - A task that failed (its error, or `BrokenProcessPool`/`BrokenThreadPool` when its worker
 *   died) makes the `next()` that reaches it throw; the following call goes on with the next
 *   results. With `chunksize` > 1 the whole chunk fails once. A `for await` loop ends at the
 *   throw; looping over the same iterator again resumes after the failed item.
 * - `next(timeout)` throws {@link TimeoutError} when no result comes within `timeout` seconds;
 *   nothing is consumed, so the next call waits for the same result.
 * - Leaving a `for await` loop early (`break`, `return`, an error in its body) calls `return()`,
 *   which withdraws the items that have not started.
 *
 * @example
 * ```ts
 * const it = pool.imap(work, items)
 * for (;;) {
 *   try {
 *     const { value, done } = await it.next(5) // at most 5 s for each result
 *     if (done) break
 *     console.log(value)
 *   } catch (error) {
 *     console.log('this item failed:', error) // the next call continues with the next item
 *   }
 * }
 * ```
 */
export interface IMapIterator<T> extends AsyncIterableIterator<T, undefined, number | null | undefined> {
  /** The next result; throws its task's error, or {@link TimeoutError} after `timeout` seconds. */
  next(timeout?: number | null): Promise<IteratorResult<T, undefined>>
  /** Stops the iteration: the items that have not started are withdrawn. */
  return(): Promise<IteratorResult<T, undefined>>
  [Symbol.asyncIterator](): IMapIterator<T>
}

const DONE: IteratorResult<never, undefined> = Object.freeze({ value: undefined, done: true })

/** What both iterators share: the chunk being handed out, and one call at a time. */
abstract class ChunkIterator<T> implements IMapIterator<T> {
  protected chunk: ArrayLike<unknown> | undefined
  protected at = 0
  /** Calls not settled yet, and the latest of them (the next call waits for it). */
  #calls = 0
  #last: Promise<unknown> | undefined

  next(timeout?: number | null): Promise<IteratorResult<T, undefined>> {
    if (this.#calls === 0 && (timeout === undefined || timeout === null)) {
      const chunk = this.chunk
      if (chunk !== undefined && this.at < chunk.length) return Promise.resolve({ value: chunk[this.at++] as T, done: false })
    }
    // A call made before the previous one settled waits for it, so each result goes to one call.
    this.#calls++
    const last = this.#last
    const step = (): Promise<IteratorResult<T, undefined>> => this.#step(timeout)
    const run = last === undefined ? step() : last.then(step, step)
    this.#last = run
    return run
  }

  async #step(timeout: number | null | undefined): Promise<IteratorResult<T, undefined>> {
    try {
      return await this.advance(timeout)
    } finally {
      if (--this.#calls === 0) this.#last = undefined
    }
  }

  /** Hands out the next value of the current chunk, if any. */
  protected fromChunk(): IteratorResult<T, undefined> | undefined {
    const chunk = this.chunk
    if (chunk === undefined || this.at >= chunk.length) return undefined
    return { value: chunk[this.at++] as T, done: false }
  }

  protected abstract advance(timeout: number | null | undefined): Promise<IteratorResult<T, undefined>>

  abstract return(): Promise<IteratorResult<T, undefined>>

  [Symbol.asyncIterator](): IMapIterator<T> {
    return this
  }
}

/** How an in-order iterator waits and fails: `imap`'s rules, or `Executor.map`'s. */
interface InOrderRules {
  /** Each future's result is a chunk of values (else the value itself). */
  readonly chunked: boolean
  /**
   * `Executor.map`: the `performance.now()` by which every result must be in (`null`: no limit),
   * and `next()`'s argument is ignored. `undefined`: `imap`'s per-call `next(timeout)`.
   */
  readonly deadline?: number | null
  /** A failure cancels the remaining calls and ends the iteration (`Executor.map`), else it is skipped. */
  readonly cancelOnFailure: boolean
}

const IMAP: InOrderRules = { chunked: true, cancelOnFailure: false }
const IMAP_ONE: InOrderRules = { chunked: false, cancelOnFailure: false }

class InOrder<T> extends ChunkIterator<T> {
  readonly #feed: Feed
  readonly #rules: InOrderRules

  constructor(feed: Feed, rules: InOrderRules) {
    super()
    this.#feed = feed
    this.#rules = rules
  }

  /** The timeout of a wait for `future`, in seconds, by the rules. */
  #timeoutFor(future: Future<unknown>, timeout: number | null | undefined): number | null | undefined {
    const deadline = this.#rules.deadline
    if (deadline === undefined) return timeout
    if (deadline === null) return undefined
    const left = deadline - performance.now()
    if (left <= 0 && !future.done()) throw new TimeoutError()
    return Math.max(0, left) / 1000
  }

  protected async advance(timeout: number | null | undefined): Promise<IteratorResult<T, undefined>> {
    const { chunked, cancelOnFailure } = this.#rules
    for (;;) {
      const value = this.fromChunk()
      if (value !== undefined) return value
      const future = this.#feed.peek()
      if (future === undefined) return DONE
      let result: unknown
      try {
        const seconds = this.#timeoutFor(future, timeout)
        // No limit: the future itself (a native promise), not `result()`'s promise around it.
        result = seconds === undefined || seconds === null ? await future : await future.result(seconds)
      } catch (error) {
        if (cancelOnFailure) {
          await this.return()
          throw error
        }
        // Our wait ran out: the result is still to come, and the next call waits for it.
        if (error instanceof TimeoutError && !future.done()) throw error
        this.#feed.shift()
        this.chunk = undefined
        throw error
      }
      this.#feed.shift()
      if (!chunked) return { value: result as T, done: false }
      this.chunk = result as ArrayLike<unknown>
      this.at = 0
    }
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.#feed.cancel()
    this.chunk = undefined
    return DONE
  }
}

class Unordered<T> extends ChunkIterator<T> {
  readonly #feed: Feed
  /** Each future's result is a chunk of values (else the value itself). */
  readonly #chunked: boolean
  /** Finished futures in the order they finished; those before `#head` were handed out. */
  readonly #finished: (Future<unknown> | undefined)[] = []
  #head = 0
  #wake: (() => void) | undefined

  constructor(feed: Feed, chunked: boolean) {
    super()
    this.#feed = feed
    this.#chunked = chunked
    const onDone = (future: Future<unknown>): void => {
      this.#finished.push(future)
      const wake = this.#wake
      this.#wake = undefined
      wake?.()
    }
    feed.onSubmit((future) => future.addDoneCallback(onDone))
  }

  protected async advance(timeout: number | null | undefined): Promise<IteratorResult<T, undefined>> {
    const ms = timeoutToMs(timeout)
    const deadline = ms === undefined ? undefined : performance.now() + ms
    for (;;) {
      const value = this.fromChunk()
      if (value !== undefined) return value
      const future = this.#finished[this.#head]
      if (future !== undefined) {
        this.#finished[this.#head++] = undefined
        if (this.#head === this.#finished.length) {
          this.#finished.length = 0
          this.#head = 0
        }
        this.#feed.handOut(future)
        this.chunk = undefined
        // Done already: this settles at once, with the chunk (the value) or the task's error.
        if (!this.#chunked) return { value: (await future) as T, done: false }
        this.chunk = (await future) as ArrayLike<unknown>
        this.at = 0
        continue
      }
      if (this.#feed.size === 0 && this.#feed.ended) return DONE
      const left = deadline === undefined ? undefined : deadline - performance.now()
      if (left !== undefined && left <= 0) throw new TimeoutError()
      await raceTimeout(new Promise<void>((resolve) => (this.#wake = resolve)), left)
      this.#wake = undefined
    }
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.#feed.cancel()
    this.#finished.length = 0
    this.#head = 0
    this.chunk = undefined
    return DONE
  }
}

/**
 * The iterator of `imap` (`feed.ordered`) or `imapUnordered` over the tasks of `feed`: chunks of
 * values when `chunked`, else one value a task.
 */
export function imapIterator<T>(feed: Feed, chunked: boolean): IMapIterator<T> {
  return feed.ordered ? new InOrder<T>(feed, chunked ? IMAP : IMAP_ONE) : new Unordered<T>(feed, chunked)
}

/**
 * The iterator of `Executor.map` over the tasks of `feed` (chunks when `chunked`): results in
 * input order, every one by `deadline` (a `performance.now()` time, `undefined`: none), the
 * remaining calls cancelled when a result fails or the iteration stops early.
 */
export function mapIterator<T>(feed: Feed, chunked: boolean, deadline: number | undefined): AsyncIterableIterator<T> {
  return new InOrder<T>(feed, { chunked, deadline: deadline ?? null, cancelOnFailure: true })
}
