import { BasePool, BrokenProcessPool, Executor, type ExecutorOptions, type PoolFlavor, type PoolOptions } from '@conc/core'
import { processBackend } from './process-backend.js'

const flavor: PoolFlavor = {
  backend: processBackend,
  Broken: BrokenProcessPool,
  defaultMaxWorkers: () => process.getBuiltinModule('node:os').availableParallelism() || 1,
}

/**
 * Python's `concurrent.futures.ProcessPoolExecutor`: calls run on a pool of child processes and
 * come back as futures. Default `maxWorkers` is the number of CPUs, as in Python. A worker that
 * dies breaks the executor with `BrokenProcessPool`.
 *
 * @example
 * ```ts
 * import { ProcessPoolExecutor, isMain } from '@conc/multiprocessing'
 * export const square = (x: number) => x * x
 * if (isMain(import.meta)) {
 *   await using executor = new ProcessPoolExecutor()
 *   console.log(await executor.submit(square, 3)) // 9
 * }
 * ```
 */
export class ProcessPoolExecutor extends Executor {
  constructor(options?: ExecutorOptions) {
    super(flavor, options)
  }
}

/**
 * Python's `multiprocessing.Pool`: `apply`, `map`, `imap`, `starmap`... over child processes.
 *
 * @example
 * ```ts
 * await using pool = new Pool({ processes: 4 })
 * console.log(await pool.map(square, [1, 2, 3])) // [1, 4, 9]
 * ```
 */
export class Pool extends BasePool {
  constructor(options?: PoolOptions) {
    super(flavor, options)
  }
}
