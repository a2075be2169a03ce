/**
 * The numeric argument checks of the whole library, once, so that every option fails the same
 * way: a value of the wrong type is a `ConcTypeError` (Python's `TypeError`) whose message shows
 * the value and its type; a number out of range is a `ValueError` with Python's message, which
 * the caller gives where Python has one.
 */
import { ConcTypeError, ValueError } from '../errors.js'

/** What a message shows of a bad argument: `'2' (string)`, `1.5 (number)`, `null`. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  const text = process.getBuiltinModule('node:util').inspect(value, { depth: 0, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 40 })
  return `${text} (${typeof value})`
}

/** `ValueError(message)`, with `message` built only when needed. */
export type TooSmall = string | ((value: number) => string)

/**
 * An integer argument. Anything but an integer number (a string, a fraction, NaN, Infinity) is a
 * `ConcTypeError` naming `name`, as Python's `'float' object cannot be interpreted as an
 * integer`; below `min` it is `ValueError(tooSmall)`.
 */
export function checkInteger(value: unknown, name: string, min?: number, tooSmall?: TooSmall): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ConcTypeError(`${name} must be an integer, got ${show(value)}`)
  if (min !== undefined && value < min) {
    throw new ValueError(tooSmall === undefined ? `${name} must be >= ${min}, got ${value}` : typeof tooSmall === 'string' ? tooSmall : tooSmall(value))
  }
  return value
}

/** {@link checkInteger} for an option where `undefined` and `null` mean "the default". */
export function optionalInteger(value: unknown, name: string, min?: number, tooSmall?: TooSmall): number | undefined {
  return value === undefined || value === null ? undefined : checkInteger(value, name, min, tooSmall)
}

/**
 * A timeout in seconds, as every wait of the library reads it: `undefined`, `null` and
 * `Infinity` wait forever (returns `undefined`); a non-number is a `ConcTypeError` showing it;
 * NaN is Python's `ValueError('Invalid value NaN (not a number)')`. Negative values are returned
 * as they are: each caller applies Python's rule for them (0, an error, or -1 for "forever").
 */
export function checkSeconds(value: unknown, name = 'timeout'): number | undefined {
  if (value === undefined || value === null || value === Infinity) return undefined
  if (typeof value !== 'number') throw new ConcTypeError(`${name} must be a number of seconds, got ${show(value)}`)
  if (Number.isNaN(value)) throw new ValueError('Invalid value NaN (not a number)')
  return value
}
