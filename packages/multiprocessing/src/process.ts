import { BaseRunner, type AnyFunction, type RunnerOptions } from '@conc/core'
import { processBackend } from './process-backend.js'

/**
 * Python's `multiprocessing.Process`, over `node:child_process`: the target runs in a child
 * Node process. Same contract as `Thread` from `@conc/threading`: switch by changing the import.
 *
 * @example
 * ```ts
 * import { Process, isMain } from '@conc/multiprocessing'
 *
 * export function fazAlgo(valor: string) {
 *   console.log(`Fazendo algo com o ${valor}`)
 * }
 *
 * if (isMain(import.meta)) {
 *   const p = new Process({ target: fazAlgo, args: ['Pássaro'] })
 *   p.start()
 *   await p.join()
 * }
 * ```
 */
export class Process<F extends AnyFunction = AnyFunction> extends BaseRunner<F> {
  /** Which backend runs this unit. */
  readonly backend = 'processes' as const
  constructor(options?: RunnerOptions<F>) {
    super(processBackend, options)
  }

  /** The child's process id (`null` before `start()`); Python's `pid`, same as `ident`. */
  get pid(): number | null {
    return this.ident
  }

  /**
   * Sends SIGINT to the child (Python 3.14's `Process.interrupt()`). Node's default for SIGINT
   * ends the child (`exitCode` -2); a target that listens for it (`process.on('SIGINT', …)`)
   * decides for itself. Does nothing unless the child runs. Threads have no signals, so `Thread`
   * has no `interrupt()`.
   *
   * @example
   * ```ts
   * p.interrupt()
   * await p.join()
   * console.log(p.exitCode) // -2
   * ```
   */
  interrupt(): void {
    this.interruptUnit()
  }
}
