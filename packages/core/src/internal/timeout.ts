/**
 * Every timeout of the library goes through here: seconds in, any length. Node's timers take at
 * most 2^31 - 1 ms (about 24.9 days) and fire after 1 ms for anything longer, so a long delay
 * runs as a chain of shorter steps.
 */
import { checkSeconds } from './validate.js'

/** The longest delay a Node timer takes; a longer one fires after 1 ms (TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Converts a Python-style timeout in seconds to milliseconds. `undefined`/`null`/`Infinity` wait
 * forever (returns `undefined`); a negative timeout counts as 0, as Python's `join` does; a
 * non-number is a `ConcTypeError` and NaN a `ValueError` (see `checkSeconds`).
 */
export function timeoutToMs(timeout: unknown, name?: string): number | undefined {
  const seconds = checkSeconds(timeout, name)
  return seconds === undefined ? undefined : Math.max(0, seconds * 1000)
}

/**
 * `setTimeout` for a delay of any length. Beyond {@link MAX_TIMER_MS} it is an interval of equal
 * steps, each within the limit, that calls `fn` after the last one. The handle is an ordinary
 * Node timer: `clearTimeout`, `ref()` and `unref()` work on it.
 */
export function setLongTimeout(fn: () => void, ms: number): NodeJS.Timeout {
  if (!(ms > MAX_TIMER_MS)) return setTimeout(fn, ms)
  const steps = Math.ceil(ms / MAX_TIMER_MS)
  let left = steps
  const timer = setInterval(() => {
    if (--left > 0) return
    clearInterval(timer)
    fn()
  }, ms / steps)
  return timer
}

/** Resolves `true` when `promise` settles first, `false` after `ms` milliseconds (`undefined`: never). */
export function raceTimeout(promise: Promise<unknown>, ms: number | undefined): Promise<boolean> {
  if (ms === undefined) return promise.then(() => true)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setLongTimeout(() => resolve(false), ms)
  })
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer))
}
