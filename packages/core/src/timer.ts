/**
 * Python's `threading.Timer`, once for both backends: a runner whose unit waits `interval`
 * seconds on an `Event` and then calls the function, unless `cancel()` set the event first. The
 * backends' `Timer` classes are their runner class plus {@link timerSetup}.
 *
 * The unit runs `runTimer` (timer-unit.ts, its own build output) as its target; the user's
 * function travels as a target spec in the arguments, so it is found exactly as a runner's target
 * is, and the event as a primitive (shared memory for a thread, served by this process for a
 * child process).
 *
 * @module
 */
import { ConcTypeError } from './errors.js'
import { describe } from './internal/messages.js'
import { callerModule, fromModule, targetSpec } from './internal/target-ref.js'
import { checkSeconds } from './internal/validate.js'
import type { AnyFunction, RunnerOptions } from './runner.js'
import { Event } from './sync/event.js'

const TIMER_UNIT = new URL('./timer-unit.js', import.meta.url).href

/** The unit's target. Nameless, so a timer is named `Thread-N` as in Python. */
const runTimer = fromModule(Object.defineProperty(function () {}, 'name', { value: '' }), TIMER_UNIT, 'runTimer')

/** Options of `new Timer({ ... })`; `args` is typed from `target` as a runner's are. */
export type TimerOptions<F extends AnyFunction = AnyFunction> = {
  /** Seconds to wait before calling `target` (any number; 0 or less calls it at once). */
  readonly interval: number
  /** The function to call in the new unit. */
  readonly target: F
  readonly name?: string | number | null | undefined
  readonly daemon?: boolean | null | undefined
} & ([] extends Parameters<F> ? { readonly args?: Readonly<Parameters<F>> | undefined } : { readonly args: Readonly<Parameters<F>> })

/** What a backend's `Timer` constructor passes to its runner class, and keeps. */
export interface TimerSetup {
  readonly options: RunnerOptions
  readonly interval: number
  readonly finished: Event
}

/**
 * Reads `new Timer(interval, fn, args?)` or `new Timer({ interval, target, args, name, daemon })`.
 *
 * @throws {ConcTypeError} when the function is not a function, `interval` not a number or `args`
 *   not an array
 */
export function timerSetup(args: readonly unknown[]): TimerSetup {
  const first = args[0]
  const o: { interval?: unknown; target?: unknown; args?: unknown; name?: unknown; daemon?: unknown } =
    typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : { interval: first, target: args[1], args: args[2] }
  const interval = checkSeconds(o.interval, 'interval') ?? Infinity
  if (typeof o.target !== 'function') {
    throw new ConcTypeError(`function must be a function, got ${describe(o.target)} ('${typeof o.target}' object is not callable)`)
  }
  const callArgs = o.args ?? []
  if (!Array.isArray(callArgs)) throw new ConcTypeError(`args must be an array, got ${describe(callArgs)}`)
  const finished = new Event()
  const spec = targetSpec(o.target as AnyFunction, callerModule())
  const options = {
    target: runTimer,
    // No loader hooks of its own: the unit registered the program's (tsx) when it imported
    // runTimer, as the runner passes them for its target.
    args: [finished, interval === Infinity ? null : interval, spec, [], [...(callArgs as unknown[])]],
    name: o.name as string | undefined,
    daemon: o.daemon as boolean | undefined,
  } as unknown as RunnerOptions
  return { options, interval, finished }
}
