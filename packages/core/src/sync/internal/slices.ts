/**
 * Python's indexing rules for a sequence of fixed length, once: negative indices count from the
 * end, an index out of range is `IndexError('invalid index')` (ctypes' message), and slices follow
 * `slice.indices()` (clamped bounds, any non-zero step).
 */
import { ConcTypeError, IndexError, ValueError } from '../../errors.js'
import { show } from '../../internal/validate.js'

/** An element index: negative counts from the end. */
export function resolveIndex(index: unknown, length: number): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new ConcTypeError(`array indices must be integers, got ${show(index)}`)
  const at = index < 0 ? length + index : index
  if (at < 0 || at >= length) throw new IndexError('invalid index')
  return at
}

/** A slice bound or step: an integer, or `undefined`/`null` for Python's `None`. */
export type SliceBound = number | null | undefined

function bound(value: SliceBound, name: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ConcTypeError(`slice ${name} must be an integer, null or undefined, got ${show(value)}`)
  }
  return value
}

/** The indices `seq[start:stop:step]` covers, in order (Python's `range(*slice.indices(n))`). */
export function sliceIndices(length: number, start: SliceBound, stop: SliceBound, step: SliceBound): number[] {
  const by = bound(step, 'step') ?? 1
  if (by === 0) throw new ValueError('slice step cannot be zero')
  const clamp = (value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback
    const at = value < 0 ? value + length : value
    return by > 0 ? Math.min(Math.max(at, 0), length) : Math.min(Math.max(at, -1), length - 1)
  }
  const from = clamp(bound(start, 'start'), by > 0 ? 0 : length - 1)
  const to = clamp(bound(stop, 'stop'), by > 0 ? length : -1)
  const indices: number[] = []
  for (let i = from; by > 0 ? i < to : i > to; i += by) indices.push(i)
  return indices
}
