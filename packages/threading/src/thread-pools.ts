import { BasePool, BrokenThreadPool, Executor, type ExecutorOptions, type PoolFlavor, type PoolOptions } from '@conc/core'
import { threadBackend } from './thread-backend.js'

const flavor: PoolFlavor = {
  backend: threadBackend,
  Broken: BrokenThreadPool,
  defaultMaxWorkers: () => Math.min(32, (process.getBuiltinModule('node:os').availableParallelism() || 1) + 4),
}

/**
 * Python's `concurrent.futures.ThreadPoolExecutor`: calls run on a pool of worker threads and
 * come back as futures. Default `maxWorkers` is `min(32, cpus + 4)`, as in Python.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor, isMain } from '@conc/threading'
 * export const square = (x: number) => x * x
 * if (isMain(import.meta)) {
 *   await using executor = new ThreadPoolExecutor({ maxWorkers: 4 })
 *   console.log(await executor.submit(square, 3)) // 9
 * }
 * ```
 */
export class ThreadPoolExecutor extends Executor {
  constructor(options?: ExecutorOptions) {
    super(flavor, options)
  }
}

/**
 * Python's `multiprocessing.pool.ThreadPool`: the `Pool` API over worker threads.
 *
 * @example
 * ```ts
 * await using pool = new ThreadPool({ processes: 2 })
 * console.log(await pool.map(square, [1, 2, 3])) // [1, 4, 9]
 * ```
 */
export class ThreadPool extends BasePool {
  constructor(options?: PoolOptions) {
    super(flavor, options)
  }
}
