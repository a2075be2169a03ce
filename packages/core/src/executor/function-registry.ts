/**
 * Functions a pool has been given, each with an id: a worker learns a function once (by
 * reference, by source or by explicit reference, as runner targets travel) and tasks then name it
 * by id.
 */
import { ConcTypeError } from '../errors.js'
import { describe } from '../internal/messages.js'
import { callerModule, targetSpec, type TargetSpec } from '../internal/target-ref.js'

export interface FnEntry {
  readonly id: number
  readonly spec: TargetSpec
  /** Recent milliseconds per call, measured in the workers; sizes the batches. */
  avgMs: number | undefined
  /** Its calls have returned promises: it is sent to workers by the number of tasks in flight. */
  async: boolean
  /**
   * How many measurements in a row came within a quarter of the average before them: a function
   * whose calls take about the same time (worker-pool.ts sends its long tasks ahead to worker
   * processes).
   */
  steady: number
}

export class FunctionRegistry {
  readonly #entries = new Map<unknown, FnEntry>()

  /** The entry of `fn`, registering it on first use (the calling module is recorded then). */
  get(fn: unknown, what = 'fn'): FnEntry {
    const known = this.#entries.get(fn)
    if (known !== undefined) return known
    if (typeof fn !== 'function') {
      throw new ConcTypeError(`${what} must be a function, got ${describe(fn)} ('${typeof fn}' object is not callable)`)
    }
    const entry: FnEntry = { id: this.#entries.size + 1, spec: targetSpec(fn as (...args: never[]) => unknown, callerModule()), avgMs: undefined, async: false, steady: 0 }
    this.#entries.set(fn, entry)
    return entry
  }
}
