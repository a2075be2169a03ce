/**
 * Arguments on the client: checked and encoded when a task is submitted, so nothing that cannot
 * travel reaches Redis. They travel as the process backend sends them (V8 serialization), so what
 * a `ProcessPoolExecutor` accepts is what the distributed executor accepts, except the
 * synchronization primitives: a `Lock` or a `Queue` lives in this program's memory, and a worker
 * host on another machine cannot reach it.
 */
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  ConcTypeError,
  Connection,
  Event,
  JoinableQueue,
  Lock,
  Queue,
  RLock,
  Semaphore,
  SharedArray,
  SimpleQueue,
  Value,
  ValueError,
} from '@conc/core'
import { describe, MODE_CALL, MODE_ONE, type TaskMode } from '@conc/core/engine'
import { encodeValue } from './wire.js'

/** The default largest job payload (encoded arguments), and largest result: 16 MiB. */
export const DEFAULT_PAYLOAD_LIMIT = 16 * 1024 * 1024

const PRIMITIVES: readonly (abstract new (...args: never[]) => object)[] = [
  Lock,
  RLock,
  Semaphore,
  BoundedSemaphore,
  Event,
  Condition,
  Barrier,
  Queue,
  JoinableQueue,
  SimpleQueue,
  Connection,
  Value,
  SharedArray,
]
const kHandle = Symbol.for('@conc/handle')

function isPrimitive(value: object): boolean {
  if (typeof (value as Record<symbol, unknown>)[kHandle] === 'function') return true
  for (const Class of PRIMITIVES) if (value instanceof Class) return true
  return false
}

/** The name of a synchronization primitive found in `value` (searched to some depth), if any. */
export function findPrimitive(value: unknown, seen = new Set<object>(), depth = 0): string | undefined {
  if (typeof value !== 'object' || value === null || depth > 32 || seen.has(value)) return undefined
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return undefined
  if (isPrimitive(value)) return value.constructor?.name ?? 'primitive'
  seen.add(value)
  const items = value instanceof Map ? [...value.keys(), ...value.values()] : value instanceof Set ? [...value] : Object.values(value)
  for (const item of items) {
    const found = findPrimitive(item, seen, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** The arguments a payload stands for, to name the one at fault. */
function argumentsOf(mode: TaskMode, payload: unknown): readonly unknown[] | undefined {
  if (mode === MODE_ONE) return [payload]
  if (mode === MODE_CALL) return payload as unknown[]
  return undefined
}

function culprit(mode: TaskMode, payload: unknown, bad: (value: unknown) => boolean): string {
  const args = argumentsOf(mode, payload)
  const i = args === undefined ? -1 : args.findIndex(bad)
  return i >= 0 ? `argument ${i} (${describe(args?.[i])})` : 'the items'
}

/**
 * The payload of a task, encoded for a job.
 *
 * @throws {ConcTypeError} (`ERR_CONC_DATA_CLONE`) when it holds something that cannot travel
 * @throws {ValueError} when it is larger than `limit` bytes once encoded
 */
export function encodeArgs(mode: TaskMode, payload: unknown, limit: number): string {
  const primitive = findPrimitive(payload)
  if (primitive !== undefined) {
    const where = culprit(mode, payload, (arg) => findPrimitive(arg) !== undefined)
    throw new ConcTypeError(
      `cannot send ${where} to a worker host: it holds a ${primitive}, which lives in this program's memory and cannot ` +
        'reach another machine. Synchronization primitives work with the local backends only; coordinate remote tasks ' +
        'through their results, or through Redis or a database.',
      { code: 'ERR_CONC_DATA_CLONE' },
    )
  }
  let encoded: string
  try {
    encoded = encodeValue(payload)
  } catch (error) {
    const why = (error as Error)?.message ?? String(error)
    const where = culprit(mode, payload, (arg) => {
      try {
        encodeValue(arg)
        return false
      } catch {
        return true
      }
    })
    throw new ConcTypeError(
      `cannot send ${where} to a worker host: ${why.replace(/\.+$/, '')}. Arguments travel by value, so they must be data ` +
        '(no functions, symbols or class instances with behaviour).',
      { cause: error, code: 'ERR_CONC_DATA_CLONE' },
    )
  }
  if (encoded.length > limit) {
    throw new ValueError(
      `the task's arguments take ${mib(encoded.length)} once encoded, more than the ${mib(limit)} a job may carry ` +
        "(the 'payloadLimit' option). Pass a reference to large data (a path, a URL, a key) instead of the data.",
    )
  }
  return encoded
}
