/**
 * `@conc/threading`: Python's `threading` for Node.js, over `node:worker_threads`.
 *
 * @module
 */
import { activeRunners, currentUnit, foreignThread, forgetForeignThreads, liveThreads, mainUnit, registerInternalModule } from '@conc/core'
import { Thread } from './thread.js'

registerInternalModule(import.meta.url)

export { Thread }

/** The `Thread` object of the calling thread (`MainThread` in the main thread). */
export function currentThread(): Thread {
  return currentUnit('thread', Thread)
}

/** The main thread's `Thread` object, named `MainThread`. */
export function mainThread(): Thread {
  return mainUnit('thread', Thread)
}

/**
 * Every live thread of the process (Python's `threading.enumerate()`), from any thread: the main
 * thread first, then the others in the order they started, whichever thread started them (pool
 * workers included). The threads this thread started are the objects it holds; the others are
 * objects that follow them (name, `isAlive()`, `join()`).
 */
export function enumerate(): Thread[] {
  const current = currentThread()
  const mine = activeRunners('thread') as Thread[]
  const live = liveThreads()
  if (live === undefined) return [current, ...mine]
  const byIdent = new Map(mine.map((thread) => [thread.ident, thread]))
  const out: Thread[] = [mainThread()]
  for (const record of live) {
    if (record.ident === current.ident) out.push(current)
    else out.push(byIdent.get(record.ident) ?? foreignThread(Thread, record))
  }
  forgetForeignThreads(new Set(live.map((record) => record.seq)))
  if (!out.includes(current)) out.push(current)
  for (const thread of mine) if (!out.includes(thread)) out.push(thread)
  return out
}

/** `enumerate().length` (Python's `threading.active_count()`). */
export function activeCount(): number {
  return enumerate().length
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
export type { AnyFunction, ConcErrorCode, ExceptHook, ExceptHookArgs, RunnerOptions } from '@conc/core'

// Executors, futures and pools (issue 3): add exports here.
export { ThreadPool, ThreadPoolExecutor } from './thread-pools.js'
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

// Smaller gaps a porter notices (issue 10): Timer, thread ids, shared memory.
export { Timer } from './timer.js'
export { getIdent, getNativeId } from './ids.js'
export type { TimerOptions } from '@conc/core'
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
