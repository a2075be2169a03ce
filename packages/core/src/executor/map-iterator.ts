/**
 * The iterator `Executor.map` returns: results in input order, chunks flattened, a deadline
 * counted from the `map()` call, and the remaining calls cancelled when iteration stops early
 * or fails (Python's `_result_or_cancel`).
 */
import { TimeoutError } from './errors.js'
import type { Feed } from './feed.js'

class InOrder implements AsyncIterableIterator<unknown> {
  #chunk: readonly unknown[] | undefined
  #at = 0

  constructor(
    readonly feed: Feed,
    readonly chunked: boolean,
    readonly deadline: number | undefined,
  ) {}

  next(): Promise<IteratorResult<unknown>> {
    const chunk = this.#chunk
    if (chunk !== undefined && this.#at < chunk.length) return Promise.resolve({ value: chunk[this.#at++], done: false })
    return this.#advance()
  }

  async #advance(): Promise<IteratorResult<unknown>> {
    for (;;) {
      const future = this.feed.peek()
      if (future === undefined) return { value: undefined, done: true }
      let value: unknown
      try {
        if (this.deadline === undefined) value = await future.result()
        else {
          const left = this.deadline - performance.now()
          if (left <= 0 && !future.done()) throw new TimeoutError()
          value = await future.result(Math.max(0, left) / 1000)
        }
      } catch (error) {
        this.#cancelRest()
        throw error
      }
      this.feed.shift()
      if (!this.chunked) return { value, done: false }
      this.#chunk = value as unknown[]
      this.#at = 0
      if (this.#chunk.length > 0) return { value: this.#chunk[this.#at++], done: false }
    }
  }

  #cancelRest(): void {
    this.feed.cancel()
    this.#chunk = undefined
  }

  return(): Promise<IteratorResult<unknown>> {
    this.#cancelRest()
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this
  }
}

export function mapInOrder(feed: Feed, chunked: boolean, deadline: number | undefined): AsyncIterableIterator<unknown> {
  return new InOrder(feed, chunked, deadline)
}
