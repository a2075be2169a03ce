/**
 * `@conc/distributed`: Python's `multiprocessing.Pool` and `concurrent.futures` executor across
 * machines. The classes are the local backends' (same API, same semantics where the network
 * allows); the tasks travel as BullMQ jobs through Redis to worker hosts (`conc-worker`) that run
 * them in local pools.
 *
 * @module
 */
import { registerInternalModule } from '@conc/core'

// The search for "the module that submitted a task" skips this package's frames.
registerInternalModule(import.meta.url)

export { Pool, ProcessPoolExecutor } from './pools.js'
export type { DistributedExecutorOptions, DistributedPoolOptions } from './pools.js'
export type { DistributedOptions } from './options.js'
export { DEFAULT_MAX_IN_FLIGHT, DEFAULT_QUEUE, DEFAULT_REDIS_TIMEOUT } from './options.js'
export { DEFAULT_PAYLOAD_LIMIT } from './codec.js'
export { DEFAULT_REDIS_URL } from './connection.js'
export type { Connection } from './connection.js'
export {
  DEFAULT_LOCK_DURATION,
  DEFAULT_MAX_STALLED,
  DEFAULT_SHUTDOWN_TIMEOUT,
  DEFAULT_STALLED_INTERVAL,
  WorkerHost,
} from './host.js'
export type { WorkerHostOptions } from './host.js'

export {
  ALL_COMPLETED,
  AsyncResult,
  BrokenBarrierError,
  BrokenExecutor,
  BrokenProcessPool,
  CancelledError,
  ConcError,
  ConcTypeError,
  EOFError,
  Empty,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Full,
  Future,
  IndexError,
  InvalidStateError,
  MaybeEncodingError,
  OSError,
  RuntimeError,
  TargetNotFoundError,
  TimeoutError,
  ValueError,
  asCompleted,
  fromModule,
  isConcError,
  isMain,
  move,
  wait,
} from '@conc/core'
export type {
  AnyFunction,
  ConcErrorCode,
  DoneAndNotDoneFutures,
  DoneCallback,
  ExecutorOptions,
  MapOptions,
  PoolMapOptions,
  PoolOptions,
  PoolTaskOptions,
  ReturnWhen,
  TaskOptions,
  YieldedFuture,
} from '@conc/core'
