import { ValueError } from '../errors.js'

/**
 * Converts a Python-style timeout in seconds to milliseconds. `undefined`/`null`/`Infinity` wait
 * forever (returns `undefined`); a negative timeout counts as 0, as Python's `join` does.
 */
export function timeoutToMs(timeout: number | null | undefined): number | undefined {
  if (timeout === undefined || timeout === null || timeout === Infinity) return undefined
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new ValueError(`timeout must be a number of seconds, got ${String(timeout)}`)
  }
  return Math.max(0, timeout * 1000)
}

/** Resolves `true` when `promise` settles first, `false` after `ms` milliseconds. */
export function raceTimeout(promise: Promise<unknown>, ms: number | undefined): Promise<boolean> {
  if (ms === undefined) return promise.then(() => true)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, ms, false)
  })
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer))
}
