/**
 * The unit side of `Timer` (see timer.ts): started by URL from inside units, like the pool worker.
 *
 * @module
 */
import { context } from './internal/context.js'
import { explainRebuiltFailure, resolveTarget } from './internal/resolve-target.js'
import type { TargetSpec } from './internal/target-ref.js'
import type { Event } from './sync/event.js'

/** Python's `Timer.run()`: wait, then call the function unless the timer was cancelled. */
export async function runTimer(finished: Event, interval: number | null, spec: TargetSpec, hooks: readonly string[], args: readonly unknown[]): Promise<void> {
  // Resolved before waiting, so the call is on time; the module is imported as a target's is.
  context.bootstrapping = true
  let fn: (...a: readonly unknown[]) => unknown
  try {
    fn = (await resolveTarget(spec, hooks)).fn as typeof fn
  } finally {
    context.bootstrapping = false
  }
  if (!(await finished.wait(interval))) {
    try {
      await fn(...args)
    } catch (error) {
      explainRebuiltFailure(error, fn as never)
      throw error
    }
  }
  await finished.set()
}
