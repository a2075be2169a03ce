/**
 * What a finished job means for its task: the value or the error of a result envelope, or the
 * error of a job that failed before it could return one (cancelled, timed out, its host lost).
 */
import { CancelledError, MaybeEncodingError, TimeoutError, type BrokenExecutor } from '@conc/core'
import type { SerializedThrown } from '@conc/core/engine'
import { rebuildError } from './error-refs.js'
import { FAILED, STALLED_REASON, decodeValue } from './wire.js'

export type Broken = new (message: string, options?: { cause?: unknown }) => BrokenExecutor

/** A task's outcome: its value, its error, or (`init`) the client's initializer failed on a host. */
export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown; readonly init?: true }

/**
 * The outcome of a job's return value (an envelope written by a host's task runner); a promise
 * when the error's class must be imported first. `root` is this client's application root;
 * `head`, the results of a `map` chunk's first items, which earlier jobs brought.
 */
export function outcomeOf(id: string, returnvalue: unknown, root: string, Broken: Broken, head?: readonly unknown[]): Outcome | Promise<Outcome> {
  const envelope = returnvalue as Partial<{ ok: string; err: string; i: 1 }> | null
  if (envelope !== null && typeof envelope === 'object' && typeof envelope.ok === 'string') {
    try {
      const value = decodeValue(envelope.ok)
      return { ok: true, value: head === undefined ? value : head.concat(value as unknown[]) }
    } catch (error) {
      return { ok: false, error: new MaybeEncodingError(`the task's result could not be decoded here: ${(error as Error).message}`, { cause: error }) }
    }
  }
  if (envelope !== null && typeof envelope === 'object' && typeof envelope.err === 'string') {
    const init = envelope.i === 1
    const outcome = (error: unknown): Outcome =>
      init ? { ok: false, init: true, error: new Broken('A process initializer failed on a worker host, the pool is not usable anymore', { cause: error }) } : { ok: false, error }
    let rebuilt: unknown
    try {
      rebuilt = rebuildError(decodeValue(envelope.err) as SerializedThrown, root)
    } catch (why) {
      return outcome(new Error(`the task failed, and its error could not be decoded here: ${(why as Error).message}`))
    }
    return rebuilt instanceof Promise ? rebuilt.then(outcome) : outcome(rebuilt)
  }
  return { ok: false, error: new Error(`the job ${id} returned something that is not a @conc result: ${JSON.stringify(returnvalue)?.slice(0, 200)}`) }
}

/** The error of a job that failed before it could return a result (BullMQ's `failedReason`). */
export function failureOf(reason: string, timeoutMs: number | undefined, Broken: Broken): unknown {
  if (reason.startsWith(FAILED.timeout)) return new TimeoutError(`the task did not finish within ${(timeoutMs ?? 0) / 1000} seconds`)
  if (reason.startsWith(FAILED.cancelled)) return new CancelledError('the task was cancelled on its worker host')
  if (reason.startsWith(FAILED.lost) || reason === STALLED_REASON) {
    const why = reason.startsWith(FAILED.lost)
      ? 'the task is at most once (the atMostOnce option), so it is not run again'
      : 'it was already run again as many times as the hosts allow (conc-worker --max-stalled)'
    return new Broken(`The worker host running the task was lost (it died, or lost Redis for longer than its lock); ${why}.`)
  }
  return new Error(`the worker host failed the task: ${reason}`)
}
