import { type AnyFunction, type Event, type TimerOptions, kRunsTarget, timerSetup } from '@conc/core'
import { Thread } from './thread.js'

/** `args` after `fn` in `new Timer(interval, fn, args)`: required when `fn` has required parameters. */
type TimerArgs<F extends AnyFunction> = [] extends Parameters<F> ? [args?: Readonly<Parameters<F>>] : [args: Readonly<Parameters<F>>]

/**
 * Python's `threading.Timer`: a `Thread` that calls `fn(...args)` after `interval` seconds,
 * unless `cancel()` was called first. Start it as any thread. Both Python's positional shape and
 * an options object work; `args` is typed from `fn`.
 *
 * @example
 * ```ts
 * import { Timer, isMain } from '@conc/threading'
 *
 * export function hello(name: string) { console.log(`hello, ${name}`) }
 *
 * if (isMain(import.meta)) {
 *   const t = new Timer(0.5, hello, ['world']) // or new Timer({ interval: 0.5, target: hello, args: ['world'] })
 *   t.start()
 *   // t.cancel() here would stop it while it waits
 *   await t.join()
 * }
 * ```
 */
export class Timer<F extends AnyFunction = AnyFunction> extends Thread {
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
