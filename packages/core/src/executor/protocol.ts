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

/**
 * `n` undefined values in a packed array, to fill in any order. The arrays of a message are made
 * packed, never with `new Array(n)`: V8 clones and serializes a holey array (which `new Array(n)`
 * makes, even once every slot is set) element by element as a sparse one, with each index
 * written out: about 3.5x slower and twice the bytes for 256 values (bench/FINDINGS-pools.md).
 */
export function packedArray(n: number): unknown[] {
  const a: unknown[] = []
  for (let i = 0; i < n; i++) a.push(undefined)
  return a
}

/**
 * Parent → worker: run these tasks, started in order. `f`/`m` are one value when all tasks share
 * it. Batches run concurrently when their tasks are async, so replies name their batch.
 */
export interface RunMessage {
  readonly t: 'p.run'
  /** The batch's id, unique per worker. */
  readonly b: number
  /** Function ids. */
  readonly f: number | readonly number[]
  readonly m: TaskMode | readonly TaskMode[]
  /** One payload per task. */
  readonly a: readonly unknown[]
  /** Some payloads carry primitives to decode (internal/shared-codec.ts). */
  readonly h?: 1
  /** Functions this worker has not seen yet: id and how to find it. */
  readonly d?: readonly (readonly [number, TargetSpec])[]
  /** The first batch with a big payload this worker gets (internal/big-blocks.ts). */
  readonly g?: 1
  /**
   * Sent alone: nothing else of the pool was queued or running (one awaited call after another).
   * Only after such a batch may the worker spin when it goes idle (idle-spin.ts).
   */
  readonly s?: 1
  /**
   * Offered, not committed (worker threads): the batch runs in this worker only if the worker
   * claims it when it is next to start it, by swapping word `k` of the pool's offer words from
   * `c` to minus its number (`PoolWorkerData.o`, `.w`); another worker may have claimed it, or
   * the pool taken it back (worker-pool.ts).
   */
  readonly c?: number
  readonly k?: number
  /**
   * Long (worker threads with offers): its tasks were measured at 1 ms or more. The worker starts
   * it after a macrotask boundary, as an offer, so that the offers sent after it are read
   * before it ends: the worker claims the next before its reply (pool-worker.ts), and the pool,
   * reading the reply, finds it busy rather than free.
   */
  readonly l?: 1
}

/** A failed task of a batch: its index, the error, and whether it was its result that failed to encode. */
export type TaskFailure = readonly [index: number, error: SerializedThrown, encoding: 0 | 1]

/**
 * Worker → parent: tasks of batch `b` are done: `o` … `o + v.length - 1`, or those listed in `x`.
 * A batch's results may come in several replies (async tasks settle in any order, and big results
 * do not pile up in one message). `v[k]` is the value of the k-th task covered; failures are
 * listed in `e`, by their index in the batch.
 */
export interface DoneMessage {
  readonly t: 'p.done'
  readonly b: number
  /** Index of the first task covered, when they follow each other; 0 when absent. */
  readonly o?: number
  /** The indexes of the tasks covered, when they do not follow each other. */
  readonly x?: readonly number[]
  readonly v: readonly unknown[]
  readonly e?: readonly TaskFailure[]
  /**
   * Milliseconds the worker spent running these tasks synchronously (the awaits of async tasks
   * left out); the pool sizes its batches from it.
   */
  readonly ms: number
  /** Some of these tasks returned a promise: their function is async. */
  readonly y?: 1
  /** The first reply of this worker with a big result (internal/big-blocks.ts). */
  readonly g?: 1
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

/** Where the age of the offer in word `k` of the offer words is (`PoolWorkerData.o`: the claims, then their ages). */
export function offerAgeWord(words: Int32Array, k: number): number {
  return words.length / 2 + k
}

/** Whether offer age `a` is older than `b`: ages count modulo 2^31 (worker-pool.ts, `#offerAge`). */
export function olderAge(a: number, b: number): boolean {
  const ahead = (b - a) & 0x7fffffff
  return ahead > 0 && ahead < 0x40000000
}

/** The `data` of the pool-worker service. */
export interface PoolWorkerData {
  readonly initializer: TargetSpec | undefined
  /** The most tasks the worker runs at once (async tasks awaiting); see `concurrentTasksPerWorker`. */
  readonly c: number
  readonly initargs: readonly unknown[]
  /** `initargs` carry primitives to decode. */
  readonly h?: 1
  /** The pool's offer words, shared by its workers (threads; `RunMessage.c`), then their ages. */
  readonly o?: Int32Array
  /** This worker's number, what it writes (negated) into an offer word it claims. */
  readonly w?: number
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

/**
 * A batch stops before its payloads (or a reply its results) pass this many bytes, one task at
 * least: big messages cost more per byte (fresh memory for every copy) and hold back every result
 * of the batch until the last.
 */
export const BATCH_BYTES = 256 * 1024

/** How many items of an array, or keys of an object, {@link payloadBytes} looks at. */
const PAYLOAD_SAMPLE = 64

/**
 * The bytes a value adds to a message, roughly: its binary data and strings, found down to
 * `depth` levels through arrays and plain objects; anything else counts 0 (numbers, class
 * instances, `Map`s, deeper data), which keeps it cheap. An array counts by its first 64 items, in
 * proportion to its length (unless the sample has holes); an object by its first 64 keys. `moved`
 * buffers are transferred, not copied, and shared memory is not copied either: they count nothing.
 * It reads the properties of plain objects, as the structured clone does after it (getters run);
 * a value that throws while it is read counts 0, and its send then reports the error. See
 * {@link argumentDepth} and {@link resultDepth} for the depth of a task's payload and result.
 */
export function payloadBytes(value: unknown, moved?: readonly unknown[], depth = 2): number {
  try {
    return walkBytes(value, moved, depth)
  } catch {
    return 0
  }
}

function walkBytes(value: unknown, moved: readonly unknown[] | undefined, depth: number): number {
  if (typeof value === 'string') return value.length
  if (value === null || typeof value !== 'object') return 0
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer
    return (moved !== undefined && moved.includes(buffer)) || buffer instanceof SharedArrayBuffer ? 0 : value.byteLength
  }
  if (value instanceof ArrayBuffer) return moved !== undefined && moved.includes(value) ? 0 : value.byteLength
  if (depth === 0) return 0
  if (Array.isArray(value)) {
    const n = Math.min(value.length, PAYLOAD_SAMPLE)
    let bytes = 0
    let holes = false
    for (let i = 0; i < n; i++) {
      if (!(i in value)) holes = true
      else bytes += walkBytes(value[i], moved, depth - 1)
    }
    // A long array counts as its sample does, in proportion (a sparse one, as sampled).
    return n === value.length || bytes === 0 || holes ? bytes : Math.ceil((bytes * value.length) / n)
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return 0
  let bytes = 0
  let keys = 0
  for (const key in value) {
    if (keys++ === PAYLOAD_SAMPLE) break
    bytes += walkBytes((value as Record<string, unknown>)[key], moved, depth - 1)
  }
  return bytes
}

/**
 * How deep {@link payloadBytes} looks into a task's payload of `mode`: each argument (or `map`
 * item) with what it holds one level down, `{ name, data }`, `[name, bytes]`.
 */
export function argumentDepth(mode: TaskMode): number {
  return mode === MODE_ONE ? 1 : mode === MODE_STAR_CHUNK ? 3 : 2
}

/** How deep {@link payloadBytes} looks into a task's result (a chunk's: each item's) of `mode`: two levels, `{ data }`, `[{ data }]`. */
export function resultDepth(mode: TaskMode): number {
  return mode >= MODE_CHUNK ? 3 : 2
}
