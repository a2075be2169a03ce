/**
 * `@conc/core`: the contract that `@conc/threading` and `@conc/multiprocessing` implement. Most
 * programs import a backend package instead, which re-exports what they need from here.
 *
 * @module
 */

import './internal/library-mark.js'

// The runner contract
export { BaseRunner, activeRunners } from './runner.js'
export type { AnyFunction, RunnerOptions } from './runner.js'
export { currentUnit, mainUnit, parentUnit } from './current.js'
export type { ParentProcess } from './current.js'
export { isMain } from './is-main.js'
export type { CommonJSModule } from './is-main.js'
export { fromModule } from './internal/target-ref.js'
export { registerInternalModule } from './internal/bundle.js'

// Uncaught errors in units
export { defaultExcepthook, getExcepthook, setExcepthook } from './excepthook.js'
export type { ExceptHook, ExceptHookArgs } from './excepthook.js'

// Errors
export { ConcError, ConcTypeError, IndexError, RuntimeError, TargetNotFoundError, ValueError, isConcError } from './errors.js'
export type { ConcErrorCode } from './errors.js'

// The backend seam
export type { SignalName, TransferListItem, UnitBackend, UnitExit, UnitHandle, UnitKind } from './backend.js'
export type { UnitInit, UnitMessage } from './internal/wire.js'
// Also exported by `@conc/core/unit`, for a backend's entry file; from here, a backend's public
// module needs no second import specifier (each one costs a resolution in every unit).
export { isWireMessage } from './internal/wire.js'
export { serializeThrown } from './internal/error-transport.js'
export { UNIT_ARG, isPendingUnit } from './internal/unit-arg.js'
export { unitEntry } from './internal/bundle.js'
export { unitExecArgv } from './internal/unit-conditions.js'

// Executors, futures and pools (issue 3): add exports here.
export { Future } from './executor/future.js'
export type { DoneCallback } from './executor/future.js'
export { ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, asCompleted, wait } from './executor/wait.js'
export type { DoneAndNotDoneFutures, ReturnWhen, YieldedFuture } from './executor/wait.js'
export { Executor } from './executor/executor.js'
export { move } from './executor/move.js'
export type { ExecutorOptions, MapOptions, TaskOptions } from './executor/executor.js'
export { AsyncResult, BasePool } from './executor/pool.js'
export type { IMapIterator, PoolOptions, PoolTaskOptions, PoolMapOptions } from './executor/pool.js'
export type { PoolFlavor } from './executor/flavor.js'
export type { EngineFlavor, PoolEngine } from './executor/engine.js'
export {
  BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  CancelledError,
  InvalidStateError,
  MaybeEncodingError,
  TimeoutError,
} from './executor/errors.js'

// Synchronization and communication primitives (issue 4): add exports here.
export { Lock, Acquirable } from './sync/lock.js'
export { RLock } from './sync/rlock.js'
export { Semaphore, BoundedSemaphore } from './sync/semaphore.js'
export { Event } from './sync/event.js'
export { Condition } from './sync/condition.js'
export { Barrier } from './sync/barrier.js'
export { Queue, JoinableQueue, SimpleQueue } from './sync/queue.js'
export { Pipe, Connection } from './sync/pipe.js'
export { Value, SharedArray } from './sync/value.js'
export type { SharedOptions } from './sync/value.js'
export type { Element, Typecode } from './sync/internal/typecodes.js'
export type { AcquireOptions, QueueOptions, WaitOptions } from './sync/internal/options.js'
export { BrokenBarrierError, EOFError, Empty, Full, OSError } from './sync/errors.js'

// Connections, sentinels (issue 10): add exports here.
export * as connection from './connection/index.js'
export { AuthenticationError, BufferTooShort } from './connection/errors.js'
export { Sentinel } from './connection/sentinel.js'
export type { Address, ClientOptions, ConnectionOptions, ListenerOptions, Listener, Waitable } from './connection/index.js'
export { kRunsTarget } from './runner.js'
export { timerSetup } from './timer.js'
export type { TimerOptions, TimerSetup } from './timer.js'
export { ensureThreadRegistry, liveThreads, registerThread, threadEnded } from './internal/thread-registry.js'
export type { ThreadRecord } from './internal/thread-registry.js'
export { foreignThread, forgetForeignThreads } from './internal/foreign-thread.js'
export { SharedMemory } from './shared-memory.js'
export type { SharedMemoryOptions } from './shared-memory.js'
export { ShareableList } from './shareable-list.js'
export type { ShareableItem } from './shareable-list.js'
export { BrokenPipeError, FileExistsError, FileNotFoundError } from './os-errors.js'
// Managers and proxies (issue 10): add exports here. The machinery loads on first use.
export { BaseManager } from './manager/base-manager.js'
export type { Address as ManagerAddress, Callable, ManagerOptions, RegisterOptions } from './manager/base-manager.js'
export { SyncManager } from './manager/sync-manager.js'
export type { DictInit } from './manager/sync-manager.js'
export { BaseProxy } from './manager/proxy.js'
export type { CallOptions } from './manager/proxy.js'
export { ArrayProxy, AsyncResultProxy, DictProxy, IteratorProxy, ListProxy, NamespaceProxy, PoolProxy, ValueProxy } from './manager/proxies.js'
export type { AutoProxy, ManagedMapOptions } from './manager/proxies.js'
export { AttributeError, KeyError, ManagerShutdownError, RemoteError } from './manager/errors.js'
