/**
 * The messages between a pool and its workers. Kept flat for structured clone: a batch is a few
 * parallel arrays, not an array of task objects.
 */
import type { SerializedThrown } from '../internal/error-transport.js'
import type { TargetSpec } from '../internal/target-ref.js'

/** `fn(...payload)` */
export const MODE_CALL = 0
/** `fn(payload)`: one argument, sent without an array around it */
export const MODE_ONE = 1
/** `payload.map((x) => fn(x))`: a chunk of `map` */
export const MODE_CHUNK = 2
/** `payload.map((args) => fn(...args))`: a chunk of `starmap` */
export const MODE_STAR_CHUNK = 3
export type TaskMode = typeof MODE_CALL | typeof MODE_ONE | typeof MODE_CHUNK | typeof MODE_STAR_CHUNK

/** Parent → worker: run these tasks, in order. `f`/`m` are one value when all tasks share it. */
export interface RunMessage {
  readonly t: 'p.run'
  /** Function ids. */
  readonly f: number | readonly number[]
  readonly m: TaskMode | readonly TaskMode[]
  /** One payload per task. */
  readonly a: readonly unknown[]
  /** Some payloads carry primitives to decode (internal/shared-codec.ts). */
  readonly h?: 1
  /** Functions this worker has not seen yet: id and how to find it. */
  readonly d?: readonly (readonly [number, TargetSpec])[]
}

/** A failed task of a batch: its index, the error, and whether it was its result that failed to encode. */
export type TaskFailure = readonly [index: number, error: SerializedThrown, encoding: 0 | 1]

/** Worker → parent: the batch is done. `v[i]` is task i's value; failures are listed in `e`. */
export interface DoneMessage {
  readonly t: 'p.done'
  readonly v: readonly unknown[]
  readonly e?: readonly TaskFailure[]
  /** Milliseconds the batch took in the worker; the pool sizes its batches from it. */
  readonly ms: number
}

/** Worker → parent: the initializer ran; tasks may come. */
export interface ReadyMessage {
  readonly t: 'p.ready'
}

/** Worker → parent: the initializer failed; the worker ends. */
export interface InitFailedMessage {
  readonly t: 'p.init-failed'
  readonly e: SerializedThrown
}

/** Parent → worker: finish and end. */
export interface StopMessage {
  readonly t: 'p.stop'
}

/** Worker → parent: stopped as asked; the worker exits (code 0) right after sending it. */
export interface StoppedMessage {
  readonly t: 'p.stopped'
}

/** The `data` of the pool-worker service. */
export interface PoolWorkerData {
  readonly initializer: TargetSpec | undefined
  readonly initargs: readonly unknown[]
  /** `initargs` carry primitives to decode. */
  readonly h?: 1
}

/**
 * A chunk of numbers travels as a `Float64Array` (one memory copy) instead of an array whose every
 * element is serialized on its own; indexing reads the same numbers back (-0 and NaN included).
 */
export function packChunk(values: readonly unknown[]): readonly unknown[] | Float64Array {
  if (values.length < 16) return values
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== 'number') return values
  return Float64Array.from(values as number[])
}
