/**
 * `@conc/multiprocessing`: Python's `multiprocessing` for Node.js, over `node:child_process`.
 *
 * @module
 */
import { activeRunners, currentUnit, parentUnit, registerInternalModule, type ParentProcess } from '@conc/core'
import { Process } from './process.js'

registerInternalModule(import.meta.url)

export { Process }

/** The `Process` object of this process (`MainProcess` in the program's own process). */
export function currentProcess(): Process {
  return currentUnit('process', Process)
}

/** This process's parent when @conc started it, or `null` in the main process. */
export function parentProcess(): ParentProcess | null {
  return parentUnit()
}

/** The child processes this process started that have not finished. */
export function activeChildren(): Process[] {
  return activeRunners('process') as Process[]
}

/** The number of CPUs in the system (Python's `cpu_count()`). */
export function cpuCount(): number {
  return process.getBuiltinModule('node:os').cpus().length || 1
}

export {
  ConcError,
  ConcTypeError,
  IndexError,
  RuntimeError,
  TargetNotFoundError,
  ValueError,
  defaultExcepthook,
  fromModule,
  getExcepthook,
  isConcError,
  isMain,
  setExcepthook,
} from '@conc/core'
export type { AnyFunction, ConcErrorCode, ExceptHook, ExceptHookArgs, ParentProcess, RunnerOptions } from '@conc/core'

// Executors, futures and pools (issue 3): add exports here.
export { Pool, ProcessPoolExecutor } from './process-pools.js'
export {
  ALL_COMPLETED,
  AsyncResult,
  BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  CancelledError,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  InvalidStateError,
  MaybeEncodingError,
  TimeoutError,
  asCompleted,
  move,
  wait,
} from '@conc/core'
export type {
  DoneAndNotDoneFutures,
  DoneCallback,
  ExecutorOptions,
  IMapIterator,
  MapOptions,
  PoolMapOptions,
  PoolOptions,
  PoolTaskOptions,
  ReturnWhen,
  TaskOptions,
  YieldedFuture,
} from '@conc/core'

// Synchronization and communication primitives (issue 4): add exports here.
// Python's names; the state lives in this process's shared memory, see docs/primitives.md.
export {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  Condition,
  Connection,
  EOFError,
  Empty,
  Event,
  Full,
  JoinableQueue,
  Lock,
  OSError,
  Pipe,
  Queue,
  RLock,
  Semaphore,
  SharedArray,
  SharedArray as Array,
  SimpleQueue,
  Value,
} from '@conc/core'
export type { AcquireOptions, Element, QueueOptions, SharedOptions, Typecode, WaitOptions } from '@conc/core'

// Connections (issue 10): multiprocessing.connection as the `connection` namespace (connection.Listener,
// connection.Client, connection.wait), its errors at top level as in Python.
export { AuthenticationError, BufferTooShort, Sentinel, connection } from '@conc/core'
export type { Address, ClientOptions, ConnectionOptions, Listener, ListenerOptions, Waitable } from '@conc/core'

// Smaller gaps a porter notices (issue 10): Timer, start methods, shared memory.
export { Timer } from './timer.js'
export type { TimerOptions } from '@conc/core'
export { getAllStartMethods, getContext, getStartMethod, setStartMethod } from './context.js'
export type { SpawnContext, StartMethod } from './context.js'
export { BrokenPipeError, FileExistsError, FileNotFoundError, ShareableList, SharedMemory } from '@conc/core'
export type { ShareableItem, SharedMemoryOptions } from '@conc/core'
// Managers and proxies (issue 10): add exports here. See docs/shared-state.md.
export { Manager } from './manager.js'
export {
  ArrayProxy,
  AsyncResultProxy,
  AttributeError,
  BaseManager,
  BaseProxy,
  DictProxy,
  IteratorProxy,
  KeyError,
  ListProxy,
  ManagerShutdownError,
  NamespaceProxy,
  PoolProxy,
  RemoteError,
  SyncManager,
  ValueProxy,
} from '@conc/core'
export type { AutoProxy, CallOptions, Callable, DictInit, ManagedMapOptions, ManagerAddress, ManagerOptions, RegisterOptions } from '@conc/core'
