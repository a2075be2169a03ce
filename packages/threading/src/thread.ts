import { BaseRunner, type AnyFunction, type RunnerOptions } from '@conc/core'
import { threadBackend } from './thread-backend.js'

/**
 * Python's `threading.Thread`, over `node:worker_threads`: the target runs in a worker thread.
 * Same contract as `Process` from `@conc/multiprocessing`: switch by changing the import.
 *
 * @example
 * ```ts
 * import { Thread, isMain } from '@conc/threading'
 *
 * export function fazAlgo(valor: string) {
 *   console.log(`Fazendo algo com o ${valor}`)
 * }
 *
 * if (isMain(import.meta)) {
 *   const th = new Thread({ target: fazAlgo, args: ['Pássaro'] })
 *   th.start()
 *   await th.join()
 * }
 * ```
 */
export class Thread<F extends AnyFunction = AnyFunction> extends BaseRunner<F> {
  /** Which backend runs this unit. */
  readonly backend = 'threads' as const
  constructor(options?: RunnerOptions<F>) {
    super(threadBackend, options)
  }
}
