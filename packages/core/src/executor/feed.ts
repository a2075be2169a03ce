/**
 * The chunk tasks of a `map`/`imap`, made from its input as the results are consumed: at most
 * `window` chunks submitted and not yet handed to the consumer (Python 3.14's `buffersize`), so a
 * huge or endless input is read a little at a time. With an infinite window every chunk is
 * submitted at once, as Python's `Executor.map` and `Pool.imap` do by default.
 */
import { Future } from './future.js'

export class Feed {
  /** Submitted chunks not handed out yet, for a consumer in any order. */
  readonly #pending = new Set<Future<unknown>>()
  /** The same for a consumer in order: oldest first, from `#head`. */
  #queue: (Future<unknown> | undefined)[] = []
  #head = 0
  /** Submitted and not handed out. */
  #outstanding = 0
  #ended = false
  #whenEnded: (() => void) | undefined
  /** Resolves once every chunk is submitted (see {@link ended}). */
  readonly done: Promise<void> = new Promise((resolve) => (this.#whenEnded = resolve))
  #onSubmit: ((future: Future<unknown>) => void) | undefined
  #source: Iterator<unknown> | undefined

  /**
   * @param items - the input (an item is one task's argument, or argument list)
   * @param submit - makes the task of a chunk of items and returns its future
   * @param window - chunks submitted ahead of the consumer (`Infinity`: all now)
   * @param ordered - whether the consumer takes the chunks in order ({@link shift})
   */
  constructor(
    readonly items: Iterable<unknown>,
    readonly chunksize: number,
    readonly submit: (chunk: unknown[]) => Future<unknown>,
    readonly window: number,
    readonly ordered: boolean,
  ) {
    this.#fill()
  }

  /** A feed of futures submitted already. */
  static of(futures: readonly Future<unknown>[], ordered: boolean): Feed {
    const feed = new Feed([], 1, () => new Future(), Infinity, ordered)
    for (const future of futures) feed.#add(future)
    return feed
  }

  /** True once every chunk is submitted (the input ended or failed, or the feed was cancelled). */
  get ended(): boolean {
    return this.#ended
  }

  /** Chunks submitted and not handed out. */
  get size(): number {
    return this.#outstanding
  }

  /** The oldest chunk not handed out; undefined when there is none (the feed has then ended). */
  peek(): Future<unknown> | undefined {
    return this.#queue[this.#head]
  }

  /** Hands out the oldest chunk; more input is read. */
  shift(): void {
    const future = this.#queue[this.#head]
    if (future === undefined) return
    this.#queue[this.#head++] = undefined
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
    this.#outstanding--
    this.#fill()
  }

  /** Hands out `future`, taken in any order (not {@link ordered}); more input is read. */
  handOut(future: Future<unknown>): void {
    if (!this.#pending.delete(future)) return
    this.#outstanding--
    this.#fill()
  }

  /** Calls `fn` with every chunk's future as it is submitted, those submitted already first. */
  onSubmit(fn: (future: Future<unknown>) => void): void {
    this.#onSubmit = fn
    for (const future of this.#waiting()) fn(future)
  }

  /** Reads no more input and cancels the chunks not handed out (those not started are withdrawn). */
  cancel(): void {
    if (!this.#ended) {
      this.#end()
      try {
        this.#source?.return?.()
      } catch {
        // The input's own cleanup failed; nothing more is read from it either way.
      }
    }
    for (const future of this.#waiting()) future.cancel()
    this.#pending.clear()
    this.#outstanding = 0
    this.#queue = []
    this.#head = 0
  }

  #fill(): void {
    while (!this.#ended && this.#outstanding < this.window) {
      const chunk: unknown[] = []
      try {
        // Taken here, so that input which is not iterable fails like input which throws.
        const source = (this.#source ??= this.items[Symbol.iterator]())
        while (chunk.length < this.chunksize) {
          const next = source.next()
          if (next.done === true) {
            this.#end()
            break
          }
          chunk.push(next.value)
        }
      } catch (error) {
        // An error from the input ends the results where it happened.
        this.#end()
        if (chunk.length > 0) this.#add(this.submit(chunk))
        this.#add(failed(error))
        return
      }
      if (chunk.length === 0) return
      let future: Future<unknown>
      try {
        future = this.submit(chunk)
      } catch (error) {
        // The pool broke while the input was being read: the rest fails with its error.
        this.#end()
        future = failed(error)
      }
      this.#add(future)
    }
  }

  #end(): void {
    this.#ended = true
    this.#whenEnded?.()
  }

  #add(future: Future<unknown>): void {
    if (this.ordered) this.#queue.push(future)
    else this.#pending.add(future)
    this.#outstanding++
    this.#onSubmit?.(future)
  }

  /** The chunks not handed out. */
  #waiting(): Iterable<Future<unknown>> {
    return this.ordered ? (this.#queue.slice(this.#head) as Future<unknown>[]) : [...this.#pending]
  }
}

function failed(error: unknown): Future<unknown> {
  const future = new Future()
  future.setException(error)
  return future
}
