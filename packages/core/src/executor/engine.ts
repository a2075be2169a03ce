/**
 * The engine seam: what `Executor` and `BasePool` need from whatever runs their tasks. The local
 * engine is `WorkerPool` (units on this machine, through the backend seam); another package may
 * supply its own (`@conc/distributed` runs tasks on worker hosts through a job queue). The public
 * classes, their validation, futures, results and iterators stay the same whatever the engine.
 */
import { ConcTypeError } from '../errors.js'
import { encodeShared } from '../internal/shared-codec.js'
import type { BrokenExecutor } from './errors.js'
import type { PoolFlavor, WorkerPoolOptions } from './flavor.js'
import type { FunctionRegistry } from './function-registry.js'
import type { Task } from './task.js'
import { WorkerPool } from './worker-pool.js'

/** What runs the tasks of one executor or pool. */
export interface PoolEngine {
  /** Functions given to this engine, each with an id; `get` throws for a non-function. */
  readonly functions: FunctionRegistry
  /** Why the engine cannot take tasks, once broken; `push` then throws it. */
  readonly broken: Error | undefined
  /** Ids of the workers alive now (empty when the workers are not this program's). */
  readonly workerIds: number[]
  /**
   * The `buffersize` of `Executor.map` and `Pool.imap` when none is given: chunks submitted ahead
   * of the consumer. Undefined: all at once (Python's default).
   */
  readonly buffersize?: number | undefined
  /**
   * True when the engine may run several calls (`MODE_ONE`/`MODE_CALL` tasks) as one unit that
   * fails as a whole (`@conc/distributed` packs fast calls into one job). `Pool.imap` then keeps
   * each item a task of its own (a chunk of one), so that a death fails that item only.
   */
  readonly packsCalls?: boolean | undefined
  /** Queues a task; it settles through `task.sink`, exactly once. */
  push(task: Task): void
  /** Withdraws every task that has not started (`sink.cancel`). */
  cancelQueued(reason: unknown): void
  /** Resolves when nothing is queued or running (or the engine broke). */
  drain(): Promise<void>
  /** Releases the engine once idle; resolves when everything it started has ended. */
  stop(): Promise<void>
  /** Fails everything not settled with `reason()` and stops now. */
  terminate(reason: () => unknown): Promise<void>
  /**
   * `Executor.terminateWorkers()` (`kill`: `killWorkers()`), after `cancelQueued`: the tasks
   * still running fail with the flavor's broken error, the engine is broken, and its workers are
   * ended now (SIGTERM, or SIGKILL with `kill`). An engine whose workers are not this program's
   * stops this engine's tasks where they run instead. Resolves once that is done.
   */
  endWorkers(kill: boolean): Promise<void>
}

/** What a package supplies to make executors and pools over its own engine. */
export interface EngineFlavor {
  /** Python's names and messages follow this kind. */
  readonly kind: 'thread' | 'process'
  /** The broken-pool class of this flavor. */
  readonly Broken: new (message: string, options?: { cause?: unknown }) => BrokenExecutor
  /** The default worker count (`maxWorkers`, `processes`). */
  defaultMaxWorkers(): number
  /** Throws (a `ConcTypeError`) when `initargs` cannot reach the workers. */
  checkInitargs(initargs: readonly unknown[]): void
  createEngine(options: WorkerPoolOptions): PoolEngine
}

/** The engine flavor of a backend package's {@link PoolFlavor}: units on this machine. */
export function engineFlavor(flavor: PoolFlavor | EngineFlavor): EngineFlavor {
  if ('createEngine' in flavor) return flavor
  const { backend } = flavor
  return {
    kind: backend.kind,
    Broken: flavor.Broken,
    defaultMaxWorkers: () => flavor.defaultMaxWorkers(),
    checkInitargs(initargs) {
      const why = backend.whyNotSendable(encodeShared(initargs, backend.kind).value)
      if (why !== undefined) throw new ConcTypeError(`initargs cannot be sent to a ${backend.unitNoun}: ${why}`, { code: 'ERR_CONC_DATA_CLONE' })
    },
    createEngine: (options) => new WorkerPool(flavor, options),
  }
}
