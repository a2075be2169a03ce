/** Python's `array` type codes, as typed arrays over shared memory. */
import { ConcTypeError } from '../../errors.js'
import { show } from '../../internal/validate.js'

export type Typecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd' | 'c'

type Ctor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor

const CTORS: Record<Typecode, Ctor> = {
  b: Int8Array,
  B: Uint8Array,
  h: Int16Array,
  H: Uint16Array,
  i: Int32Array,
  I: Uint32Array,
  l: BigInt64Array,
  L: BigUint64Array,
  q: BigInt64Array,
  Q: BigUint64Array,
  f: Float32Array,
  d: Float64Array,
  c: Uint8Array,
}

/** The JavaScript type of an element: `bigint` for 64-bit integers, a one-character string for `'c'`. */
export type Element<C extends Typecode> = C extends 'l' | 'L' | 'q' | 'Q' ? bigint : C extends 'c' ? string : number

export type Elements = { [index: number]: number | bigint; readonly length: number }

export function checkTypecode(typecode: unknown): Typecode {
  if (typeof typecode !== 'string' || !(typecode in CTORS)) {
    throw new ConcTypeError(`bad typecode (must be one of ${Object.keys(CTORS).join(', ')}), got ${String(typecode)}`)
  }
  return typecode as Typecode
}

export function view(typecode: Typecode, buffer: SharedArrayBuffer): Elements {
  return new (CTORS[typecode] as unknown as new (buffer: SharedArrayBuffer) => Elements)(buffer)
}

export function allocate(typecode: Typecode, length: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(1, length) * CTORS[typecode].BYTES_PER_ELEMENT)
}

/** Python's `TypeError` for a value an integer typecode cannot hold. */
function intExpected(value: unknown): ConcTypeError {
  // ctypes: `int expected instead of float` (it never rounds, nor should we).
  if (typeof value === 'number') return new ConcTypeError(`int expected instead of float, got ${value}`)
  return new ConcTypeError(`int expected, got ${show(value)}`)
}

/**
 * JavaScript value -> stored element, with Python's type checks: an integer typecode takes an
 * integer (a `number` or a `bigint`) and refuses a fraction; `'f'`/`'d'` take a number; `'c'` a
 * one-character string or its code. Integers out of the type's range wrap, as ctypes does.
 */
export function toElement(typecode: Typecode, value: unknown): number | bigint {
  if (typecode === 'c') {
    if (typeof value === 'string' && value.length === 1) return value.charCodeAt(0) & 0xff
    if (typeof value === 'number' && Number.isInteger(value)) return value
    throw new ConcTypeError(`one character string or integer expected, got ${show(value)}`)
  }
  if (typecode === 'f' || typecode === 'd') {
    if (typeof value === 'number') return value
    throw new ConcTypeError(`must be real number, got ${show(value)}`)
  }
  const big = typecode === 'l' || typecode === 'L' || typecode === 'q' || typecode === 'Q'
  if (typeof value === 'bigint') return big ? value : Number(value)
  if (typeof value === 'number' && Number.isInteger(value)) return big ? BigInt(value) : value
  throw intExpected(value)
}

/** Stored element -> JavaScript value. */
export function fromElement(typecode: Typecode, element: number | bigint): unknown {
  return typecode === 'c' ? String.fromCharCode(Number(element)) : element
}
