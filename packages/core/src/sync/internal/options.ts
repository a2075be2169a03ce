/**
 * The argument rules of Python's waits, once: timeouts in seconds, `undefined`/`null` for "wait
 * forever", a TypeError for a timeout that is not a number, Python's ValueError messages, and an
 * `AbortSignal` on every wait.
 */
import { ValueError } from '../../errors.js'
import { checkSeconds } from '../../internal/validate.js'

/** Options every wait takes. */
export interface WaitOptions {
  /** Seconds; `undefined` or `null` waits forever. */
  readonly timeout?: number | null | undefined
  /** Gives up the wait: the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
}

/** Options of `acquire()`: Python's `blocking` and `timeout`, and a signal. */
export interface AcquireOptions extends WaitOptions {
  /** `false` returns at once (`true` if acquired); default `true`. */
  readonly blocking?: boolean | undefined
}

/** Options of a queue's `put()` and `get()`: Python's `block` and `timeout`, and a signal. */
export interface QueueOptions extends WaitOptions {
  /** `false` raises `Full`/`Empty` at once instead of waiting; default `true`. */
  readonly block?: boolean | undefined
}

export interface Parsed {
  readonly blocking: boolean
  /** Milliseconds; `undefined` waits forever. */
  readonly ms: number | undefined
  readonly signal: AbortSignal | undefined
}

// Any number of seconds works: the waits keep their deadline themselves, in short slices (wait.ts).

function split<T extends WaitOptions>(first: boolean | number | null | T | undefined, timeout: number | null | undefined): { blocking: boolean; timeout: unknown; signal: AbortSignal | undefined } {
  if (typeof first === 'object' && first !== null) {
    const o = first as T & { blocking?: boolean; block?: boolean }
    return { blocking: (o.blocking ?? o.block ?? true) !== false, timeout: o.timeout, signal: o.signal }
  }
  return { blocking: first !== false, timeout, signal: undefined }
}

/** `Lock`/`RLock`: `timeout` -1 means forever; other negatives and a timeout without blocking are errors. */
export function parseLockAcquire(first?: boolean | AcquireOptions, timeout?: number | null): Parsed {
  const o = split(first, timeout)
  const t = checkSeconds(o.timeout)
  if (!o.blocking && t !== undefined && t !== -1) throw new ValueError("can't specify a timeout for a non-blocking call")
  if (t !== undefined && t < 0 && t !== -1) throw new ValueError('timeout value must be a non-negative number')
  return { blocking: o.blocking, ms: t === undefined || t === -1 ? undefined : t * 1000, signal: o.signal }
}

/** `Semaphore`: a timeout without blocking is an error; a negative timeout counts as 0. */
export function parseSemaphoreAcquire(first?: boolean | AcquireOptions, timeout?: number | null): Parsed {
  const o = split(first, timeout)
  const t = checkSeconds(o.timeout)
  if (!o.blocking && t !== undefined) throw new ValueError("can't specify timeout for non-blocking acquire")
  return { blocking: o.blocking, ms: t === undefined ? undefined : Math.max(0, t * 1000), signal: o.signal }
}

/** `Event.wait`, `Condition.wait`, `Barrier.wait`, `Connection.poll`: a negative timeout counts as 0. */
export function parseWait(first?: number | null | WaitOptions): Parsed {
  // Anything but an options object is the timeout, so a string is refused instead of ignored.
  const o = split(first, first as number | null | undefined)
  const t = checkSeconds(o.timeout)
  return { blocking: true, ms: t === undefined ? undefined : Math.max(0, t * 1000), signal: o.signal }
}

/** `Queue.put`/`get`: a negative timeout is an error, as in Python's `queue` module. */
export function parseQueue(first?: boolean | QueueOptions, timeout?: number | null): Parsed {
  const o = split(first, timeout)
  const t = checkSeconds(o.timeout)
  if (o.blocking && t !== undefined && t < 0) throw new ValueError("'timeout' must be a non-negative number")
  return { blocking: o.blocking, ms: o.blocking ? (t === undefined ? undefined : t * 1000) : 0, signal: o.signal }
}
