/**
 * What travels through Redis: the job data a client writes (JSON, as BullMQ stores it) and the
 * envelope a worker host returns. Functions travel as a reference (module path inside the
 * application, export name, version of the module), arguments and results as V8 serialization
 * in base64, the same encoding as the process backend's. Keys are short: they are stored once
 * per task.
 *
 * This module is imported by the clients, the worker hosts and the local workers of the hosts,
 * so it imports nothing heavy.
 */
import { deserialize, serialize } from 'node:v8'

/**
 * The version of this format; a host refuses jobs of another version. 2: a pack's task can come
 * back not run (`n`), for its client to send alone. 3: a chunk of `map` can come back partly run
 * (`r`), for its client to send the rest.
 */
export const WIRE_VERSION = 3

/** A reference to a function: where it is exported inside the application, and which version. */
export interface FunctionRef {
  /** The module, as a path relative to the application root, with `/` separators. */
  readonly p: string
  /** The export name. */
  readonly x: string
  /** Where the function is inside that export, if deeper (`['work']` for a CommonJS `exports.work` under `default`). */
  readonly w?: readonly string[]
  /** The module's version: a hash of its file's bytes. */
  readonly h: string
}

/** A job's data. */
export interface JobData extends FunctionRef {
  readonly v: typeof WIRE_VERSION
  /** The submitting client (initializers run once per client in each local worker). */
  readonly c: string
  /** How the function is called: `fn(a)`, `fn(...a)`, a chunk of `map` or of `starmap`. */
  readonly m: 0 | 1 | 2 | 3
  /** The arguments. */
  readonly a: string
  /** Milliseconds the task may run on its host. */
  readonly t?: number
  /** At most once: fail, instead of running it again, when its host was lost. */
  readonly o?: 1
  /** The client's initializer and its arguments. */
  readonly i?: FunctionRef & { readonly a: string }
  /**
   * A pack: several tasks of one fast function in one job, each with its arguments here (`a` is
   * then empty) and its id in `q` (the key of its cancel marker).
   */
  readonly b?: readonly string[]
  /** The ids of a pack's tasks. */
  readonly q?: readonly string[]
}

/**
 * A task's outcome: its value, or what it threw (`i` when the client's initializer threw), with
 * `d` the milliseconds the call took on the host (the client packs tasks of fast functions), and
 * `r` when a chunk of `map` ran only its first `r` items (their results are `ok`; the rest would
 * have passed the payload limit, and its client sends them again);
 * `s` for a task of a pack that was not run because its client had cancelled it; `n` for a task of
 * a pack that was not run because the pack's results had reached the payload limit (its client
 * sends it again, alone).
 */
export type Envelope =
  | { readonly ok: string; readonly d?: number; readonly r?: number }
  | { readonly err: string; readonly i?: 1; readonly d?: number }
  | { readonly s: 1 }
  | { readonly n: 1 }

/** A job's return value: the envelope of its task, or (a pack) of each of its tasks, in order. */
export type JobResult = Envelope | { readonly pk: readonly Envelope[] }

/** Why a job failed, when it did not run to an envelope (BullMQ's `failedReason`). */
export const FAILED = {
  cancelled: 'conc:cancelled',
  timeout: 'conc:timeout',
  lost: 'conc:lost',
  malformed: 'conc:malformed',
  shutdown: 'conc:shutdown',
} as const

/** BullMQ's reason for a job whose host was lost more often than `maxStalledCount` allows. */
export const STALLED_REASON = 'job stalled more than allowable limit'

export function encodeValue(value: unknown): string {
  return serialize(value).toString('base64')
}

export function decodeValue(text: string): unknown {
  return deserialize(Buffer.from(text, 'base64'))
}

const MODES = new Set([0, 1, 2, 3])
const isString = (value: unknown): value is string => typeof value === 'string'

function checkRef(value: Record<string, unknown>, what: string): string | undefined {
  if (!isString(value.p) || value.p === '') return `${what} has no module path`
  if (!isString(value.x) || value.x === '') return `${what} has no export name`
  if (!isString(value.h)) return `${what} has no module version`
  if (value.w !== undefined && !(Array.isArray(value.w) && value.w.every(isString))) return `${what} has an invalid export path`
  return undefined
}

/** The job data, or why it is not one of @conc's (someone else wrote the job). */
export function parseJobData(data: unknown): JobData | string {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'the job data is not an object'
  const d = data as Record<string, unknown>
  if (d.v !== WIRE_VERSION) return `the job data has format version ${JSON.stringify(d.v)}, this host reads ${WIRE_VERSION}`
  if (!isString(d.c)) return 'the job data has no client id'
  const ref = checkRef(d, 'the job data')
  if (ref !== undefined) return ref
  if (typeof d.m !== 'number' || !MODES.has(d.m)) return `the job data has an unknown call mode ${JSON.stringify(d.m)}`
  if (!isString(d.a)) return 'the job data has no arguments'
  if (d.t !== undefined && (typeof d.t !== 'number' || !(d.t > 0))) return 'the job data has an invalid timeout'
  if (d.i !== undefined) {
    if (typeof d.i !== 'object' || d.i === null) return 'the job data has an invalid initializer'
    const init = checkRef(d.i as Record<string, unknown>, 'the initializer')
    if (init !== undefined) return init
    if (!isString((d.i as Record<string, unknown>).a)) return 'the initializer has no arguments'
  }
  if (d.b !== undefined || d.q !== undefined) {
    if (!Array.isArray(d.b) || d.b.length === 0 || !d.b.every(isString)) return "the job data has an invalid pack of arguments"
    if (!Array.isArray(d.q) || d.q.length !== d.b.length || !d.q.every(isString)) return 'the job data has invalid task ids for its pack'
    if (d.m !== 0 && d.m !== 1) return 'the job data packs tasks of a map chunk'
  }
  return d as unknown as JobData
}
