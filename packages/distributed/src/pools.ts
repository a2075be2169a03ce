/**
 * The distributed `Pool` and `ProcessPoolExecutor`: core's `BasePool` and `Executor` (the same
 * classes as the local backends', so the same API, validation, futures and iterators) over the
 * remote engine.
 */
import { availableParallelism } from 'node:os'
import { BasePool, BrokenProcessPool, Executor, type ExecutorOptions, type PoolOptions } from '@conc/core'
import { MODE_CALL, type EngineFlavor } from '@conc/core/engine'
import { encodeArgs } from './codec.js'
import { RemoteEngine } from './engine.js'
import { type DistributedOptions, settings } from './options.js'

function flavor(options: DistributedOptions): EngineFlavor {
  const resolved = settings(options)
  return {
    kind: 'process',
    Broken: BrokenProcessPool,
    defaultMaxWorkers: () => availableParallelism() || 1,
    checkInitargs: (initargs) => void encodeArgs(MODE_CALL, initargs, resolved.payloadLimit),
    createEngine: (engineOptions) => new RemoteEngine(resolved, engineOptions, BrokenProcessPool),
  }
}

/** Options of the distributed `ProcessPoolExecutor`: the local ones plus where Redis is. */
export interface DistributedExecutorOptions extends ExecutorOptions, DistributedOptions {}

/** Options of the distributed `Pool`: the local ones plus where Redis is. */
export interface DistributedPoolOptions extends PoolOptions, DistributedOptions {}

/**
 * Python's `concurrent.futures.ProcessPoolExecutor`, with the calls run by worker hosts
 * (`conc-worker`) on any machine that reaches the same Redis. `maxWorkers` is the parallelism
 * this client assumes (it sizes `map` chunks), not a limit: the hosts' concurrency is.
 *
 * @example
 * ```ts
 * import { ProcessPoolExecutor, isMain } from '@conc/distributed'
 * export const square = (x: number) => x * x
 * if (isMain(import.meta)) {
 *   await using executor = new ProcessPoolExecutor({ connection: 'redis://127.0.0.1:6379' })
 *   console.log(await executor.submit(square, 3)) // 9, computed by a worker host
 * }
 * ```
 */
export class ProcessPoolExecutor extends Executor {
  constructor(options: DistributedExecutorOptions = {}) {
    super(flavor(options), options)
  }
}

/**
 * Python's `multiprocessing.Pool`, with the calls run by worker hosts (`conc-worker`) on any
 * machine that reaches the same Redis. `processes` is the parallelism this client assumes (it
 * sizes `map` chunks), not a limit.
 *
 * @example
 * ```ts
 * import { Pool, isMain } from '@conc/distributed'
 * export const square = (x: number) => x * x
 * if (isMain(import.meta)) {
 *   await using pool = new Pool({ connection: process.env.REDIS_URL })
 *   console.log(await pool.map(square, [1, 2, 3])) // [1, 4, 9]
 * }
 * ```
 */
export class Pool extends BasePool {
  constructor(options: DistributedPoolOptions = {}) {
    super(flavor(options), options)
  }
}
