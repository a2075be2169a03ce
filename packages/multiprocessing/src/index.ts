/**
 * `@conc/multiprocessing`: Python's `multiprocessing` for Node.js, over `node:child_process`.
 *
 * @module
 */
import { cpus } from 'node:os'
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
  return cpus().length || 1
}

export {
  ConcError,
  ConcTypeError,
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

// Synchronization and communication primitives (issue 4): add exports here.
