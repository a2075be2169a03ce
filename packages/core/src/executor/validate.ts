/**
 * The options of executors and pools, with Python's messages; the checks themselves are the
 * library's one set (`internal/validate.ts`), so a wrong type fails alike everywhere.
 */
import { ConcTypeError } from '../errors.js'
import { optionalInteger, type TooSmall } from '../internal/validate.js'
import type { PoolFlavor } from './flavor.js'

/** A worker count (`maxWorkers`, `processes`); `undefined`/`null` gives the flavor's default. */
export function checkWorkers(value: unknown, flavor: PoolFlavor, name: string, tooSmall: string): number {
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
