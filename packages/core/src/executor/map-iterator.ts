/**
 * The iterator `Executor.map` returns: results in input order, chunks flattened, a deadline
 * counted from the `map()` call, and the remaining calls cancelled when iteration stops early
 * or fails (Python's `_result_or_cancel`).
 */
import { TimeoutError } from './errors.js'
import type { Future } from './future.js'

class InOrder implements AsyncIterableIterator<unknown> {
  #next = 0
  #chunk: readonly unknown[] | undefined
  #at = 0

  constructor(
    readonly futures: readonly Future<unknown>[],
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
      const future = this.futures[this.#next]
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
        this.#cancelRest(this.#next)
        throw error
      }
      this.#next++
      if (!this.chunked) return { value, done: false }
      this.#chunk = value as unknown[]
      this.#at = 0
      if (this.#chunk.length > 0) return { value: this.#chunk[this.#at++], done: false }
    }
  }

  #cancelRest(from: number): void {
    for (let i = from; i < this.futures.length; i++) this.futures[i]?.cancel()
    this.#next = this.futures.length
    this.#chunk = undefined
  }

  return(): Promise<IteratorResult<unknown>> {
    this.#cancelRest(this.#next)
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this
  }
}

export function mapInOrder(futures: readonly Future<unknown>[], chunked: boolean, deadline: number | undefined): AsyncIterableIterator<unknown> {
  return new InOrder(futures, chunked, deadline)
}
