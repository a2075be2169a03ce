import { type AnyFunction, type Event, type TimerOptions, kRunsTarget, timerSetup } from '@conc/core'
import { Process } from './process.js'

/** `args` after `fn` in `new Timer(interval, fn, args)`: required when `fn` has required parameters. */
type TimerArgs<F extends AnyFunction> = [] extends Parameters<F> ? [args?: Readonly<Parameters<F>>] : [args: Readonly<Parameters<F>>]

/**
 * Python's `threading.Timer`, as a `Process`: a child process that calls `fn(...args)` after
 * `interval` seconds, unless `cancel()` was called first (the same class as `Timer` from
 * `@conc/threading`, on this backend). `args` is typed from `fn`.
 *
 * @example
 * ```ts
 * import { Timer, isMain } from '@conc/multiprocessing'
 *
 * export function hello(name: string) { console.log(`hello, ${name}`) }
 *
 * if (isMain(import.meta)) {
 *   const t = new Timer({ interval: 0.5, target: hello, args: ['world'] })
 *   t.start()
 *   await t.join()
 * }
 * ```
 */
export class Timer<F extends AnyFunction = AnyFunction> extends Process {
  static readonly [kRunsTarget] = true
  /** Seconds the timer waits before calling the function. */
  readonly interval: number
  /** Set by `cancel()`, and once the function has run (Python's `Timer.finished`). */
  readonly finished: Event

  constructor(options: TimerOptions<F>)
  constructor(interval: number, fn: F, ...args: TimerArgs<F>)
  constructor(...args: unknown[]) {
    const setup = timerSetup(args)
    super(setup.options)
    this.interval = setup.interval
    this.finished = setup.finished
  }

  /** Stops the timer if it is still waiting: the function is then not called. */
  cancel(): void {
    void this.finished.set()
  }
}
