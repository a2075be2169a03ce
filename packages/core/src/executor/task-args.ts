/**
 * Primitives in task arguments (`submit(work, lock)`, `pool.map(work, [{ queue }])`): encoded when
 * the task is queued, so a primitive that cannot reach this pool's workers raises at submit; the
 * worker a batch goes to is given its primitives when the batch is sent (served and recovered
 * like a runner's: internal/shared-codec.ts), and they are released when its reply arrives (a
 * worker lives as long as its pool; what its tasks were given must not). Tasks without primitives
 * cost one flag check.
 */
import type { UnitHandle, UnitKind } from '../backend.js'
import { handlesExist } from '../internal/handles.js'
import { encodeShared } from '../internal/shared-codec.js'
import type { Task } from './task.js'

/**
 * Encodes the primitives in `task`'s arguments for a worker of `kind`.
 *
 * @throws {ConcTypeError} when one cannot reach such a worker (a primitive a child process
 *   received cannot be passed on to a thread)
 */
export function encodeTaskArgs(task: Task, kind: UnitKind): void {
  if (!handlesExist()) return
  const payload = encodeShared(task.payload, kind)
  if (!payload.handles) return
  task.shared = payload
  // Queued, the task keeps what it carries as a worker would (a pipe end stays open for it),
  // until it is sent, or dropped: at once when its future is cancelled.
  payload.hold()
  task.sink.onCancel?.(task, () => payload.discard())
}

/** `task` leaves the queue without being sent (cancelled, failed, the pool ended). */
export function dropTaskArgs(task: Task): void {
  task.shared?.discard()
}

/**
 * The payloads of `batch` as they travel to the worker behind `handle` (`a` of the run message),
 * and `h: 1` when some carry primitives, which that worker is then given.
 */
export function taskPayloads(batch: readonly Task[], handle: UnitHandle): { a: unknown[]; h?: 1 } {
  // Packed (pushed, not `new Array(n)`): see packedArray in protocol.ts.
  const a: unknown[] = []
  let handles = false
  for (let i = 0; i < batch.length; i++) {
    const task = batch[i] as Task
    const payload = task.shared
    if (payload === undefined) {
      a.push(task.payload)
    } else {
      a.push(payload.value)
      payload.attach(handle)
      handles = true
    }
  }
  return handles ? { a, h: 1 } : { a }
}

/**
 * The worker behind `handle` is done with `batch` (its reply arrived, or it could not be sent):
 * its primitives are no longer kept for that worker, unless it holds something in them.
 */
export function releaseTaskArgs(batch: readonly Task[], handle: UnitHandle): void {
  if (!handlesExist()) return
  for (let i = 0; i < batch.length; i++) (batch[i] as Task).shared?.release(handle)
}
