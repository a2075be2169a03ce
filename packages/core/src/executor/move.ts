/**
 * `move()`: a task marks its result to be moved back to the caller instead of copied (piscina's
 * `Piscina.move()`). Branded with `Symbol.for` so that a marker made by another copy of
 * @conc/core (a bundled worker, two installs) is recognised too.
 *
 * @module
 */
import type { TransferListItem } from '../backend.js'

const BRAND = Symbol.for('@conc/move')

/** A result to move; what {@link move} returns. Opaque: the caller receives `value`. */
export interface Moved<T> {
  readonly [BRAND]: true
  readonly value: T
  readonly transfer: readonly TransferListItem[]
}

/** The buffer of an `ArrayBuffer` or of a view (typed array, `Buffer`, `DataView`). */
function bufferOf(value: unknown): TransferListItem | undefined {
  if (value instanceof ArrayBuffer) return value
  if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) return value.buffer
  return undefined
}

/**
 * Returned by a task, moves `value` back to the caller instead of copying it: the buffers in
 * `transferList` (by default `value`'s own buffer, when `value` is an `ArrayBuffer`, a typed
 * array, a `Buffer` or a `DataView`) are transferred, as `submitWith({ transfer })` does for
 * arguments. The task's worker can no longer use them. Worker threads only: a child process
 * copies the value (the marker is then free). The caller receives `value`, not the marker. Only a
 * task's whole result can be marked (not a value inside it), or an item's result in `map`.
 *
 * Move a buffer only when the task owns all of it: a `Buffer` from Node's pool
 * (`Buffer.from(string)`, small `Buffer.alloc`s are not pooled but `allocUnsafe` ones are)
 * shares its `ArrayBuffer` with other buffers, which the move would take too; such a view is
 * copied instead.
 *
 * @example
 * ```ts
 * import { move } from '@conc/threading'
 * export function render(width: number): Uint8Array {
 *   const pixels = new Uint8Array(width * width)
 *   return move(pixels)                       // the caller gets `pixels`, not a copy
 * }
 * ```
 */
export function move<T>(value: T, transferList?: readonly TransferListItem[]): T {
  let transfer = transferList
  if (transfer === undefined) {
    const buffer = bufferOf(value)
    // A view over part of a shared buffer (Node's Buffer pool) must not take the whole buffer.
    const whole = buffer !== undefined && (!ArrayBuffer.isView(value) || (value.byteOffset === 0 && value.byteLength === (buffer as ArrayBuffer).byteLength))
    transfer = whole ? [buffer] : []
  }
  const marker: Moved<T> = { [BRAND]: true, value, transfer }
  // Typed as T so that `return move(x)` keeps the task's return type; the pool unwraps it.
  return marker as unknown as T
}

/** Whether `value` is a {@link move} marker. */
export function isMoved(value: unknown): value is Moved<unknown> {
  return value !== null && typeof value === 'object' && (value as { [BRAND]?: unknown })[BRAND] === true
}

/** `value` without its {@link move} marker, for engines that copy results (nothing to transfer). */
export function unmove(value: unknown): unknown {
  return isMoved(value) ? value.value : value
}
