/**
 * The options of executors and pools, with Python's messages; the checks themselves are the
 * library's one set (`internal/validate.ts`), so a wrong type fails alike everywhere.
 */
import { ConcTypeError } from '../errors.js'
import { optionalInteger, show, type TooSmall } from '../internal/validate.js'

/** A worker count (`maxWorkers`, `processes`); `undefined`/`null` gives the flavor's default. */
export function checkWorkers(value: unknown, flavor: { defaultMaxWorkers(): number }, name: string, tooSmall: string): number {
  return optionalInteger(value, name, 1, tooSmall) ?? flavor.defaultMaxWorkers()
}

export function checkMaxTasks(value: unknown, tooSmall: string): number | undefined {
  return optionalInteger(value, 'maxTasksPerChild', 1, tooSmall)
}

/** A `chunksize`; `undefined` for `undefined`/`null` (the caller's default). */
export function checkChunksize(value: unknown, tooSmall: TooSmall): number | undefined {
  return optionalInteger(value, 'chunksize', 1, tooSmall)
}

export function checkInitializer(value: unknown): void {
  if (value !== undefined && value !== null && typeof value !== 'function') throw new ConcTypeError('initializer must be a callable')
}

/** A `buffersize` (Python 3.14's `Executor.map`); `undefined` for `undefined`/`null`. */
export function checkBuffersize(value: unknown): number | undefined {
  return optionalInteger(value, 'buffersize', 1, 'buffersize must be None or > 0')
}

/** `concurrentTasksPerWorker`; `undefined` for `undefined`/`null` (the engine's default). */
export function checkConcurrency(value: unknown): number | undefined {
  return optionalInteger(value, 'concurrentTasksPerWorker', 1, 'concurrentTasksPerWorker must be >= 1')
}

/** A pool method's options: an object, or `undefined`/`null` for none (`{}`). */
export function checkOptions<O extends object>(value: O | null | undefined, method: string): O | Record<string, never> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object') throw new ConcTypeError(`${method}() options must be an object, got ${show(value)}`)
  return value
}

/** A `callback` / `errorCallback`: a function, or `undefined`/`null` for none (Python's `None`). */
export function checkCallback<F extends (...args: never[]) => unknown>(value: F | null | undefined, name: string): F | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'function') throw new ConcTypeError(`${name} must be a callable, got ${show(value)}`)
  return value
}
