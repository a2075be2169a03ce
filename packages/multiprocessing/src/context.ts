/**
 * Python's start methods and contexts (`get_context`, `get_start_method`, `set_start_method`,
 * `get_all_start_methods`). @conc has one start method, `'spawn'` (a Node process cannot fork
 * itself), so these exist for code written against them: asking for `'spawn'` works, asking for
 * `'fork'` or `'forkserver'` is Python's `ValueError` with the reason.
 *
 * @module
 */
import {
  AuthenticationError,
  Barrier,
  BoundedSemaphore,
  BufferTooShort,
  Condition,
  Event,
  JoinableQueue,
  Lock,
  Pipe,
  Queue,
  RLock,
  RuntimeError,
  Semaphore,
  SharedArray,
  SimpleQueue,
  TimeoutError,
  Value,
  ValueError,
} from '@conc/core'
import { activeChildren, cpuCount, currentProcess, parentProcess } from './index.js'
import { Pool } from './process-pools.js'
import { Process } from './process.js'

/** What Python's context objects carry, under this package's names. */
const api = {
  Process,
  currentProcess,
  parentProcess,
  activeChildren,
  cpuCount,
  Pipe,
  Lock,
  RLock,
  Condition,
  Semaphore,
  BoundedSemaphore,
  Event,
  Barrier,
  Queue,
  JoinableQueue,
  SimpleQueue,
  Pool,
  Value,
  Array: SharedArray,
  BufferTooShort,
  TimeoutError,
  AuthenticationError,
}

/** The start methods Python knows; @conc has the first. */
export type StartMethod = 'spawn' | 'fork' | 'forkserver'

const METHOD = 'spawn' as const

/**
 * Python's `SpawnContext`: what Python's context objects carry (`Process`, `Pool`, `Queue`, `Lock`,
 * `Pipe`, `Value`, `Array`, …, under this package's names), and the functions of a concrete context.
 */
export type SpawnContext = Readonly<typeof api> & {
  getContext(method?: StartMethod | null): SpawnContext
  getStartMethod(allowNone?: boolean): 'spawn'
  /** @throws {ValueError} always: a concrete context's start method cannot change (Python's message) */
  setStartMethod(method: StartMethod | null, force?: boolean): never
  getAllStartMethods(): ['spawn']
}

let spawnContext: SpawnContext | undefined
/** What `setStartMethod` set (Python's `_actual_context`); `undefined` until set or first asked. */
let actual: 'spawn' | undefined

function unknownMethod(method: unknown): ValueError {
  return new ValueError(
    `cannot find context for ${typeof method === 'string' ? `'${method}'` : String(method)}: @conc starts processes with 'spawn' only ` +
      '(a Node process cannot fork itself; the spawn method imports the target\'s module again in the child)',
  )
}

/**
 * Python's `multiprocessing.get_context(method)`: the context of `'spawn'` (the only one), an
 * object with what Python's context has (`ctx.Process`, `ctx.Pool`, `ctx.Queue`, `ctx.Lock`, …).
 *
 * @throws {ValueError} for any other method: `cannot find context for 'fork'`
 * @example
 * ```ts
 * const ctx = getContext('spawn')
 * const q = new ctx.Queue()
 * new ctx.Process({ target: work, args: [q] }).start()
 * ```
 */
export function getContext(method?: StartMethod | null): SpawnContext {
  if (method !== undefined && method !== null && method !== METHOD) throw unknownMethod(method)
  if (method === undefined || method === null) actual ??= METHOD
  spawnContext ??= Object.freeze({
    ...api,
    getContext,
    getStartMethod: (): 'spawn' => METHOD,
    setStartMethod(): never {
      throw new ValueError('cannot set start method of concrete context')
    },
    getAllStartMethods,
  }) as SpawnContext
  return spawnContext
}

/**
 * Python's `get_start_method(allow_none=False)`: `'spawn'`. With `allowNone`, `null` until
 * `setStartMethod` or `getContext()` fixed it, as in Python.
 */
export function getStartMethod(allowNone?: false): 'spawn'
export function getStartMethod(allowNone: boolean): 'spawn' | null
export function getStartMethod(allowNone = false): 'spawn' | null {
  if (actual === undefined) {
    if (allowNone) return null
    actual = METHOD
  }
  return actual
}

/**
 * Python's `set_start_method(method, force=False)`: `'spawn'` is accepted (once, unless `force`);
 * any other method is a `ValueError`.
 *
 * @throws {RuntimeError} `context has already been set` on a second call without `force`
 * @throws {ValueError} for `'fork'`, `'forkserver'` or anything else
 */
export function setStartMethod(method: StartMethod | null, force = false): void {
  if (actual !== undefined && !force) throw new RuntimeError('context has already been set')
  if ((method === null || method === undefined) && force) {
    actual = undefined
    return
  }
  if (method !== METHOD) throw unknownMethod(method)
  actual = METHOD
}

/** Python's `get_all_start_methods()`: the methods this platform has, the default first. */
export function getAllStartMethods(): ['spawn'] {
  return [METHOD]
}
