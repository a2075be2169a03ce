/**
 * The options of executors and pools, with Python's messages; the checks themselves are the
 * library's one set (`internal/validate.ts`), so a wrong type fails alike everywhere.
 */
import { ConcTypeError } from '../errors.js'
import { optionalInteger, type TooSmall } from '../internal/validate.js'

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
