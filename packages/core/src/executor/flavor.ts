/**
 * What differs per backend (the flavor a backend package supplies), the engine's options, and
 * Python's failure messages.
 */
import type { UnitBackend } from '../backend.js'
import { ConcTypeError } from '../errors.js'
import { describe } from '../internal/messages.js'
import type { BrokenExecutor } from './errors.js'
import { MODE_CALL, MODE_ONE } from './protocol.js'
import type { Task } from './task.js'

/** What a backend package supplies to make its executors and pools. */
export interface PoolFlavor {
  readonly backend: UnitBackend
  /** Python's broken-pool class for this backend: `BrokenThreadPool` / `BrokenProcessPool`. */
  readonly Broken: new (message: string, options?: { cause?: unknown }) => BrokenExecutor
  /** Python's default worker count for this backend. */
  defaultMaxWorkers(): number
}

export interface WorkerPoolOptions {
  readonly maxWorkers: number
  readonly initializer: unknown
  readonly initargs: readonly unknown[]
  readonly maxTasksPerChild: number | undefined
  /** Start every worker at once (Pool) instead of on demand (executors). */
  readonly eager: boolean
  /** A dead worker breaks everything (executors) or only fails its own tasks (Pool). */
  readonly onCrash: 'break' | 'replace'
  /** A worker's name from its place in the pool (1, 2, …) or its identity among this process's units (`[1, 3]`: 1:3). */
  readonly workerName: (index: number, identity: readonly number[]) => string
  /** The most tasks a worker runs at once (async tasks awaiting); default {@link CONCURRENT_TASKS_PER_WORKER}. */
  readonly concurrentTasksPerWorker?: number | undefined
}

/** The default of `concurrentTasksPerWorker`. */
export const CONCURRENT_TASKS_PER_WORKER = 64

export const BROKEN_MESSAGES = {
  thread: {
    running: 'A thread in the thread pool was terminated abruptly while the future was running or pending.',
    crashed: 'A worker thread terminated abruptly, the thread pool is not usable anymore',
    initializer: 'A thread initializer failed, the thread pool is not usable anymore',
    spawn: 'A worker thread could not be started, the thread pool is not usable anymore',
  },
  process: {
    running: 'A process in the process pool was terminated abruptly while the future was running or pending.',
    crashed: 'A child process terminated abruptly, the process pool is not usable anymore',
    initializer: 'A process initializer failed, the process pool is not usable anymore',
    spawn: 'A child process could not be started, the process pool is not usable anymore',
  },
} as const

/** The error of a task whose arguments cannot be sent; names the argument at fault. */
export function unsendableError(backend: UnitBackend, task: Task, why: string, cause: unknown): ConcTypeError {
  const args = task.mode === MODE_ONE ? [task.payload] : task.mode === MODE_CALL ? (task.payload as unknown[]) : []
  const culprit = args.findIndex((arg) => backend.whyNotSendable(arg) !== undefined)
  const what = culprit >= 0 ? `argument ${culprit} (${describe(args[culprit])})` : 'the items'
  return new ConcTypeError(
    `cannot send ${what} to a ${backend.unitNoun}: ${why.replace(/\.+$/, '')}. Arguments travel by value, so they must be data ` +
      '(no functions, symbols or class instances with behaviour).',
    { cause, code: 'ERR_CONC_DATA_CLONE' },
  )
}
