/**
 * `concurrent.futures.wait` and `as_completed`.
 *
 * @module
 */
import { setLongTimeout, timeoutToMs } from '../internal/timeout.js'
import { TimeoutError } from './errors.js'
import { futureFailed, type Future } from './future.js'

/** Return as soon as any future finishes or is cancelled. */
export const FIRST_COMPLETED = 'FIRST_COMPLETED'
/** Return as soon as any future raises; like `ALL_COMPLETED` if none does. */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION'
/** Return when every future has finished or been cancelled. */
export const ALL_COMPLETED = 'ALL_COMPLETED'
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED

/** What {@link wait} returns: Python's `DoneAndNotDoneFutures`, two sets. */
export interface DoneAndNotDoneFutures<T> {
  readonly done: Set<Future<T>>
  readonly notDone: Set<Future<T>>
}

/**
 * Waits until the futures are done as `returnWhen` says, or until `timeout` seconds pass, and
 * returns which are done and which are not. It never throws on timeout. Duplicates collapse.
 *
 * @example
 * ```ts
 * const { done, notDone } = await wait([f1, f2], { returnWhen: FIRST_COMPLETED, timeout: 5 })
 * ```
 */
export async function wait<T>(
  fs: Iterable<Future<T>>,
  options: { readonly timeout?: number | null; readonly returnWhen?: ReturnWhen } = {},
): Promise<DoneAndNotDoneFutures<T>> {
  const all = new Set(fs)
  const returnWhen = options.returnWhen ?? ALL_COMPLETED
  const ms = timeoutToMs(options.timeout)
  const split = (): DoneAndNotDoneFutures<T> => {
    const done = new Set<Future<T>>()
    const notDone = new Set<Future<T>>()
    for (const f of all) (f.done() ? done : notDone).add(f)
    return { done, notDone }
  }
  const satisfied = (): boolean => {
    const { done, notDone } = split()
    if (notDone.size === 0) return true
    if (returnWhen === FIRST_COMPLETED) return done.size > 0
    if (returnWhen === FIRST_EXCEPTION) return [...done].some((f) => futureFailed(f as Future<unknown>))
    return false
  }
  if (satisfied() || ms === 0) return split()
  await new Promise<void>((resolve) => {
    let finished = false
    let timer: NodeJS.Timeout | undefined
    const finish = (): void => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      resolve()
    }
    if (ms !== undefined) timer = setLongTimeout(finish, ms)
    for (const f of all) {
      if (f.done()) continue
      f.addDoneCallback(() => {
        if (!finished && satisfied()) finish()
      })
    }
  })
  return split()
}

/**
 * Yields the futures as they finish (those already done first), each once. Throws
 * {@link TimeoutError} (`"2 (of 4) futures unfinished"`) if they are not all done within
 * `timeout` seconds of the call.
 *
 * @example
 * ```ts
 * for await (const f of asCompleted(futures, 10)) console.log(await f.result())
 * ```
 */
export function asCompleted<T>(fs: Iterable<Future<T>>, timeout?: number | null): AsyncIterableIterator<YieldedFuture<T>> {
  return new AsCompleted(fs, timeout) as AsyncIterableIterator<YieldedFuture<T>>
}

/**
 * A future as `for await` hands it out. TypeScript types a `for await` variable as the awaited
 * value, so a future (a promise) would be typed as its result; without `then` in its type it stays a
 * future (call `result()` on it). At run time it is the {@link Future} itself.
 */
export type YieldedFuture<T> = Omit<Future<T>, 'then'>

// Not an async generator: `yield` would await the futures (promises) instead of yielding them.
class AsCompleted<T> implements AsyncIterableIterator<Future<T>> {
  readonly #deadline: number | undefined
  readonly #total: number
  readonly #ready: Future<T>[] = []
  #yielded = 0
  #wake: (() => void) | undefined

  constructor(fs: Iterable<Future<T>>, timeout: number | null | undefined) {
    const ms = timeoutToMs(timeout)
    this.#deadline = ms === undefined ? undefined : performance.now() + ms
    const all = new Set(fs)
    this.#total = all.size
    for (const f of all) if (f.done()) this.#ready.push(f)
    for (const f of all) {
      if (f.done()) continue
      f.addDoneCallback((g) => {
        this.#ready.push(g)
        this.#wake?.()
      })
    }
  }

  async next(): Promise<IteratorResult<Future<T>>> {
    for (;;) {
      if (this.#yielded >= this.#total) return { value: undefined, done: true }
      const next = this.#ready.shift()
      if (next !== undefined) {
        this.#yielded++
        return { value: next, done: false }
      }
      const left = this.#deadline === undefined ? undefined : this.#deadline - performance.now()
      if (left !== undefined && left <= 0) {
        const message = `${this.#total - this.#yielded} (of ${this.#total}) futures unfinished`
        this.#yielded = this.#total
        throw new TimeoutError(message)
      }
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        if (left !== undefined) timer = setLongTimeout(resolve, left)
      })
      this.#wake = undefined
      clearTimeout(timer)
    }
  }

  async return(): Promise<IteratorResult<Future<T>>> {
    this.#yielded = this.#total
    return { value: undefined, done: true }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Future<T>> {
    return this
  }
}
