/** Python's `array` type codes, as typed arrays over shared memory. */
import { ConcTypeError } from '../../errors.js'

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

/** JavaScript value -> stored element. */
export function toElement(typecode: Typecode, value: unknown): number | bigint {
  if (typecode === 'c') {
    if (typeof value === 'string' && value.length === 1) return value.charCodeAt(0) & 0xff
    if (typeof value === 'number') return value
    throw new ConcTypeError(`a 'c' element is a one-character string, got ${String(value)}`)
  }
  if (typecode === 'l' || typecode === 'L' || typecode === 'q' || typecode === 'Q') {
    if (typeof value === 'bigint') return value
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
    throw new ConcTypeError(`a '${typecode}' element is an integer (number or bigint), got ${String(value)}`)
  }
  if (typeof value !== 'number') throw new ConcTypeError(`a '${typecode}' element is a number, got ${String(value)}`)
  return value
}

/** Stored element -> JavaScript value. */
export function fromElement(typecode: Typecode, element: number | bigint): unknown {
  return typecode === 'c' ? String.fromCharCode(Number(element)) : element
}
