/**
 * What a worker host's local workers run for each job (a process or a thread of the host's local
 * @conc pool, never the host's BullMQ event loop): find the function in the application, check
 * its version, run the client's initializer once, decode the arguments, call, and encode the
 * result or the error. It returns an envelope; only a bug here throws.
 *
 * Built as its own entry (`dist/task-runner.js`), which the host names by URL; it imports
 * nothing heavy (no BullMQ, no Redis client).
 */
import { realpath } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { MaybeEncodingError, TargetNotFoundError } from '@conc/core'
import { MODE_CALL, MODE_CHUNK, MODE_ONE, shownValue, unmove } from '@conc/core/engine'
import type { SerializedThrown } from '@conc/core/engine'
import { serializeForClient } from './error-refs.js'
import { moduleVersion } from './version.js'
import { type Envelope, type FunctionRef, type JobData, decodeValue, encodeValue } from './wire.js'

type Fn = (...args: unknown[]) => unknown

const functions = new Map<string, Promise<Fn>>()
/** Clients whose initializer ran in this worker. */
const initialized = new Set<string>()

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
}

/** Inside `root` (no `..`, not absolute)? */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)
}

/** Where this local worker runs, for messages: the host's name and the `conc-worker` pid. */
export interface HostInfo {
  /** The application root (absolute, symbolic links resolved). */
  readonly root: string
  /** The largest encoded result, in bytes. */
  readonly limit: number
  /** `worker host <hostname> (pid <n>)`. */
  readonly label: string
}

async function load(root: string, ref: FunctionRef, host: string): Promise<Fn> {
  const where = `${ref.p}#${ref.x}`
  const candidate = resolve(root, ref.p)
  if (isAbsolute(ref.p) || !inside(root, candidate)) {
    throw new TargetNotFoundError(`${host} refuses to import ${ref.p}: it is not a path inside its application root ${root}`)
  }
  let file: string
  try {
    file = await realpath(candidate)
  } catch {
    throw new TargetNotFoundError(
      `${host} has no module ${ref.p} in its application root ${root} (wanted for export '${ref.x}'): deploy the same build ` +
        'of the application on every host, and start conc-worker with --app pointing at it',
    )
  }
  if (!inside(await realpath(root), file)) {
    throw new TargetNotFoundError(`${host} refuses to import ${ref.p}: it leads outside its application root ${root}`)
  }
  const version = await moduleVersion(file)
  if (version !== ref.h) {
    throw new TargetNotFoundError(
      `${host} has version ${version} of ${ref.p}, but the task was submitted with version ${ref.h} of it (export ` +
        `'${ref.x}'): the client and the hosts run different builds. Deploy the same build everywhere and restart the hosts.`,
    )
  }
  const ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  // A deeper path: a CommonJS module's `exports.work` is `default.work`, a static method `Class.run`.
  let fn: unknown = ns[ref.x]
  for (const key of ref.w ?? []) fn = fn === null || fn === undefined ? undefined : (fn as Record<string, unknown>)[key]
  if (typeof fn !== 'function') {
    throw new TargetNotFoundError(`${ref.p} on ${host} has no exported function '${[ref.x, ...(ref.w ?? [])].join('.')}' (found ${typeof fn}) (${where})`)
  }
  return fn as Fn
}

function find(host: HostInfo, ref: FunctionRef): Promise<Fn> {
  const key = `${host.root}\0${ref.p}\0${[ref.x, ...(ref.w ?? [])].join('.')}\0${ref.h}`
  let fn = functions.get(key)
  if (fn === undefined) {
    fn = load(host.root, ref, host.label)
    functions.set(key, fn)
    // A failure is not cached: the file may be deployed in a moment.
    fn.catch(() => functions.delete(key))
  }
  return fn
}

/**
 * About how many bytes `value` takes serialized, cheaply: binary data by its length, a string at
 * two bytes a character (V8 writes one or two), arrays and plain objects by what they hold, two
 * levels down (a long array by its first 64 items); deeper data is not seen (the chunk's encoding
 * then fails with MaybeEncodingError if it is too big, as without this estimate). Serializing
 * each result to measure it cost a chunk of 10,000 small objects 5-10 times its run time.
 */
function encodedBytes(value: unknown, depth = 2): number {
  if (typeof value === 'string') return 2 * value.length
  if (value === null || typeof value !== 'object') return 16
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength
  if (depth === 0) return 16
  if (Array.isArray(value)) {
    const n = Math.min(value.length, 64)
    let bytes = 0
    for (let i = 0; i < n; i++) bytes += encodedBytes(value[i], depth - 1)
    return n === 0 ? 16 : Math.ceil((bytes * value.length) / n)
  }
  let bytes = 16
  for (const key in value) {
    if (Object.hasOwn(value, key)) bytes += key.length + encodedBytes((value as Record<string, unknown>)[key], depth - 1)
  }
  return bytes
}

/**
 * What several results bound for one job may take: the next is run only while the results so far,
 * plus one as large as the largest of them, stay within `limit` (a pack's tasks, a chunk's items).
 */
class ResultBudget {
  #bytes = 0
  #largest = 0
  constructor(readonly limit: number) {}
  /** Whether one more result is expected to fit. */
  get room(): boolean {
    return this.#bytes + this.#largest <= this.limit
  }
  add(size: number): void {
    this.#bytes += size
    this.#largest = Math.max(this.#largest, size)
  }
}

/**
 * Calls `fn` for the task. A chunk of `map` stops early when its results so far, plus one as
 * large as the largest of them, would pass `budget` bytes (see encodedBytes): it returns the
 * results of the items it ran, and `ran` says how many. The client sends the rest of the chunk
 * again. (A `map` of a function with results of a few MiB made chunks whose results no job could
 * carry: the whole chunk failed with MaybeEncodingError.)
 */
async function call(fn: Fn, mode: number, payload: unknown, budget: number): Promise<{ value: unknown; ran?: number }> {
  // A result marked with move() is copied here, like any result.
  if (mode === MODE_ONE) return { value: unmove(await fn(payload)) }
  if (mode === MODE_CALL) return { value: unmove(await fn(...(payload as unknown[]))) }
  const items = payload as ArrayLike<unknown>
  const out: unknown[] = []
  const star = mode !== MODE_CHUNK
  const results = new ResultBudget(budget)
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && !results.room) return { value: out, ran: i }
    const r = star ? fn(...(items[i] as unknown[])) : fn(items[i])
    const value = unmove(isThenable(r) ? await r : r)
    out.push(value)
    results.add(encodedBytes(value))
  }
  return { value: out }
}

const MiB = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1)

/** How much of a message and a stack an error too large to send keeps. */
const KEPT_MESSAGE = 4096
const KEPT_STACK = 16_384

async function failure(error: unknown, host: HostInfo, extra: { i?: 1 } = {}): Promise<Envelope> {
  const serialized = await serializeForClient(error, host.root)
  let err = encodeValue(serialized)
  if (err.length > host.limit) err = encodeValue(shortened(serialized, err.length, host.limit))
  return { err, ...extra }
}

/**
 * An error whose encoding passes the payload limit (a huge message, or properties holding large
 * data), as one that fits: the same class, the start of its message and stack, and why; its
 * properties, cause and members are left out. A thrown value that is not an error becomes an Error.
 */
function shortened(serialized: SerializedThrown, bytes: number, limit: number): SerializedThrown {
  const note = `(error shortened on the worker host: it took ${MiB(bytes)} MiB encoded, more than the ${MiB(limit)} MiB a result may carry)`
  if (!('$concError' in serialized)) return { $concError: 1, name: 'Error', message: `a thrown value too large to send ${note}`, stack: undefined, props: {} }
  const message = serialized.message.length > KEPT_MESSAGE ? `${serialized.message.slice(0, KEPT_MESSAGE)}… ${note}` : `${serialized.message} ${note}`
  const { cause: _cause, errors: _errors, ...kept } = serialized
  return { ...kept, message, stack: serialized.stack?.slice(0, KEPT_STACK), props: {} }
}

/** Python's `MaybeEncodingError` for a result that cannot travel. */
function encodingFailure(value: unknown, reason: string, host: HostInfo): Promise<Envelope> {
  return failure(new MaybeEncodingError(`Error sending result: '${shownValue(value)}'. Reason: '${reason}'`), host)
}

/**
 * Runs one job's task in this local worker.
 *
 * @param host - where it runs
 * @param data - the job data (already checked by the host)
 */
export async function runJob(host: HostInfo, data: JobData): Promise<Envelope> {
  const { limit } = host
  let fn: Fn
  try {
    fn = await find(host, data)
  } catch (error) {
    return failure(error, host)
  }
  const init = data.i
  if (init !== undefined && !initialized.has(data.c)) {
    try {
      const initializer = await find(host, init)
      const r = initializer(...(decodeValue(init.a) as unknown[]))
      if (isThenable(r)) await r
      initialized.add(data.c)
    } catch (error) {
      return failure(error, host, { i: 1 })
    }
  }
  let value: unknown
  let ran: number | undefined
  const start = performance.now()
  try {
    // Bytes of raw results that fit the limit once encoded (base64: 4 characters for 3 bytes).
    ;({ value, ran } = await call(fn, data.m, decodeValue(data.a), Math.floor((limit * 3) / 4) - 1024))
  } catch (error) {
    return { ...(await failure(error, host)), d: since(start) }
  }
  const d = since(start)
  let ok: string
  try {
    ok = encodeValue(value)
  } catch (error) {
    return encodingFailure(value, (error as Error)?.message ?? String(error), host)
  }
  if (ok.length > limit) {
    return encodingFailure(value, `the result takes ${MiB(ok.length)} MiB encoded, more than the ${MiB(limit)} MiB a result may carry`, host)
  }
  return ran === undefined ? { ok, d } : { ok, d, r: ran }
}

/** Milliseconds since `start`, rounded to keep the envelope short. */
function since(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000
}

/** The bytes an envelope's value or error takes. */
function sizeOf(envelope: Envelope): number {
  return 'ok' in envelope ? envelope.ok.length : 'err' in envelope ? envelope.err.length : 0
}

/**
 * Runs the tasks of a pack one after the other in this local worker (a pack holds only tasks of
 * a function measured fast); `skip[k]`: task k was cancelled by its client, and is not run.
 *
 * The pack's results, which travel in one job, stay within the payload limit a single result
 * has: a task is not run when the results so far, plus one as large as the largest of them, would
 * pass it. It comes back as `{ n: 1 }`, and its client sends it again, alone. (Before this, a
 * burst of a fast function with results of a few MiB made jobs of hundreds of MiB, whose writing
 * stalled the host past its lock, so that the pack ran again.)
 */
export async function runPack(host: HostInfo, data: JobData, skip: readonly boolean[]): Promise<{ pk: Envelope[] }> {
  const args = data.b ?? []
  const pk: Envelope[] = []
  const results = new ResultBudget(host.limit)
  for (let k = 0; k < args.length; k++) {
    if (skip[k] === true) pk.push({ s: 1 })
    else if (!results.room) pk.push({ n: 1 })
    else {
      const envelope = await runJob(host, { ...data, a: args[k] as string })
      results.add(sizeOf(envelope))
      pk.push(envelope)
    }
  }
  return { pk }
}
