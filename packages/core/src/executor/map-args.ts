/**
 * How `Executor.map(fn, ...iterables, options?)` reads its arguments. Python's
 * `map(fn, *iterables, timeout=None, chunksize=1)` takes its options by keyword; here they are a
 * trailing object, recognised without ambiguity: a plain object that is not iterable and has only
 * known keys. Anything else that is not iterable is a `ConcTypeError` naming the argument, never
 * an options object taken by mistake.
 */
import { ConcTypeError } from '../errors.js'
import { show } from '../internal/validate.js'

/** Options of `Executor.map`, after the iterables. */
export interface MapOptions {
  /** Seconds from the `map()` call after which iteration throws `TimeoutError`. */
  readonly timeout?: number | null | undefined
  /** Items sent to a worker together (default 1). */
  readonly chunksize?: number | null | undefined
  /**
   * Chunks submitted ahead of the results consumed (Python 3.14's `buffersize`): the input is read
   * as the results are, so it may be huge or endless. Default: all at once (the distributed
   * executor reads a bounded window by default).
   */
  readonly buffersize?: number | null | undefined
}

/** One iterable per parameter of `fn`, in order: `map(add, xs, ys)` calls `add(x, y)`. */
export type IterablesFor<P extends readonly unknown[]> = { [K in keyof P]: Iterable<P[K]> }

const OPTION_KEYS: ReadonlySet<string> = new Set(['timeout', 'chunksize', 'buffersize'] satisfies (keyof MapOptions)[])

export function isIterable(value: unknown): value is Iterable<unknown> {
  return value !== null && value !== undefined && typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function'
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/** Splits the arguments after `fn` into the iterables and the options. */
export function splitMapArgs(args: readonly unknown[]): { iterables: Iterable<unknown>[]; options: MapOptions } {
  let options: MapOptions = {}
  let count = args.length
  const last = args[count - 1]
  if (count > 0 && !isIterable(last) && isPlainObject(last)) {
    const unknown = Object.keys(last).find((key) => !OPTION_KEYS.has(key))
    if (unknown !== undefined) {
      throw new ConcTypeError(`map() argument ${count + 1}: unknown option '${unknown}' (the options are ${[...OPTION_KEYS].join(', ')})`)
    }
    options = last
    count--
  }
  const iterables: Iterable<unknown>[] = []
  for (let i = 0; i < count; i++) {
    const arg = args[i]
    if (!isIterable(arg)) {
      const expected = i === args.length - 1 ? 'an iterable or the options object' : 'an iterable'
      throw new ConcTypeError(`map() argument ${i + 2} must be ${expected}, got ${show(arg)}`)
    }
    iterables.push(arg)
  }
  return { iterables, options }
}

/** Python's `zip(*iterables)`: argument lists, as many as the shortest iterable has items. */
export function zipArgs(iterables: readonly Iterable<unknown>[]): unknown[][] {
  if (iterables.length === 0) return []
  const iterators = iterables.map((iterable) => iterable[Symbol.iterator]())
  const rows: unknown[][] = []
  try {
    for (;;) {
      const row: unknown[] = []
      for (const iterator of iterators) {
        const next = iterator.next()
        if (next.done === true) return rows
        row.push(next.value)
      }
      rows.push(row)
    }
  } finally {
    // Close the longer ones, as `for...of` would: an endless generator ends here.
    for (const iterator of iterators) iterator.return?.()
  }
}

/** {@link zipArgs}, read lazily: for a `map` that reads its input as its results are consumed. */
export function* zipLazy(iterables: readonly Iterable<unknown>[]): Generator<unknown[], void, undefined> {
  if (iterables.length === 0) return
  const iterators = iterables.map((iterable) => iterable[Symbol.iterator]())
  try {
    for (;;) {
      const row: unknown[] = []
      for (const iterator of iterators) {
        const next = iterator.next()
        if (next.done === true) return
        row.push(next.value)
      }
      yield row
    }
  } finally {
    for (const iterator of iterators) iterator.return?.()
  }
}
