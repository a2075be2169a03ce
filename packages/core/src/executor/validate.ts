/** Argument checks shared by executors and pools, with Python's messages. */
import { ConcTypeError, ValueError } from '../errors.js'
import type { PoolFlavor } from './flavor.js'

export function checkWorkers(value: number | null | undefined, flavor: PoolFlavor, message: string): number {
  if (value === undefined || value === null) return flavor.defaultMaxWorkers()
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ConcTypeError(`worker count must be an integer, got ${String(value)}`)
  if (value <= 0) throw new ValueError(message)
  return value
}

export function checkMaxTasks(value: unknown, message: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new ValueError(message)
  return value
}

export function checkInitializer(value: unknown): void {
  if (value !== undefined && value !== null && typeof value !== 'function') throw new ConcTypeError('initializer must be a callable')
}
