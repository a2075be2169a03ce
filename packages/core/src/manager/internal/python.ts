/**
 * Python's value semantics that the managed containers need: `==` between values that crossed a
 * boundary (so a copy of `[1, 2]` is found in a list), `<` for `sort()`, `repr()` for messages,
 * and which values can be dict keys.
 */
import { ConcTypeError } from '../../errors.js'
import { className } from '../../internal/messages.js'
import { tokenOf } from './token.js'

/** Python's `repr()` of a value, for messages: `'a'`, `1`, `[1, 2]`. */
export function repr(value: unknown): string {
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
  return process.getBuiltinModule('node:util').inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 60 })
}

/** Python's type name of a value, as its messages show it. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType'
  if (typeof value === 'string') return 'str'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'bigint') return 'int'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  if (Array.isArray(value)) return 'list'
  if (value instanceof Map) return 'dict'
  if (value instanceof Set) return 'set'
  if (typeof value === 'object') return className(value, 'object')
  return typeof value
}

/**
 * A dict key: a value compared by value, as Python's hashable ones are. Objects and arrays are
 * compared by identity in a `Map`, and identity does not survive a copy, so they are refused as
 * Python refuses unhashable keys.
 */
export function checkKey(key: unknown): void {
  if (key === null || (typeof key !== 'object' && typeof key !== 'function' && typeof key !== 'symbol')) return
  throw new ConcTypeError(`unhashable type: '${typeName(key)}' (a managed dict's keys are strings, numbers, bigints, booleans, null or undefined)`)
}

/** Python's `==` for values that crossed a boundary: by value for data, by token for proxies. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a === 'number' && typeof b === 'bigint') return Number.isInteger(a) && BigInt(a) === b
  if (typeof a === 'bigint' && typeof b === 'number') return pyEquals(b, a)
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  const ta = tokenOf(a)
  const tb = tokenOf(b)
  if (ta !== undefined || tb !== undefined) return ta !== undefined && tb !== undefined && ta.mid === tb.mid && ta.id === tb.id
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((item, i) => pyEquals(item, b[i]))
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false
    for (const [key, value] of a) if (!b.has(key) || !pyEquals(value, b.get(key))) return false
    return true
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set) || !(b instanceof Set) || a.size !== b.size) return false
    for (const item of a) if (!b.has(item)) return false
    return true
  }
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime()
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  return ka.every((key) => Object.prototype.hasOwnProperty.call(b, key) && pyEquals((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
}

const isNumeric = (value: unknown): value is number | bigint | boolean =>
  typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean'

/**
 * Python's `<` ordering, for `sort()`: numbers (and bigints, booleans) with each other, strings
 * with strings, lists element by element; anything else raises Python's `TypeError`.
 */
export function pyCompare(a: unknown, b: unknown): number {
  if (isNumeric(a) && isNumeric(b)) {
    const x = typeof a === 'boolean' ? Number(a) : a
    const y = typeof b === 'boolean' ? Number(b) : b
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i])
    }
    return a.length - b.length
  }
  throw new ConcTypeError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`)
}
