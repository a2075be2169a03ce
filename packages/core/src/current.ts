/**
 * Python's module-level helpers (`current_thread()`, `main_thread()`, `current_process()`,
 * `parent_process()`), written once for every backend.
 *
 * @module
 */
import type { UnitKind } from './backend.js'
import { context } from './internal/context.js'
import { threadInfo } from './internal/thread-info.js'
import { adoptAsCurrent } from './internal/runner-state.js'

const mains = new Map<UnitKind, object>()

/**
 * The runner object for the program's main thread (`MainThread`) or main process
 * (`MainProcess`), an instance of `RunnerClass` that cannot be started or joined.
 */
export function mainUnit<T extends object>(kind: UnitKind, RunnerClass: abstract new (...args: never[]) => T): T {
  let main = mains.get(kind)
  if (main === undefined) {
    main = Object.create(RunnerClass.prototype as object) as object
    const name = kind === 'thread' ? 'MainThread' : 'MainProcess'
    adoptAsCurrent(main, { kind, name, daemon: false, identity: [], args: [] }, undefined, kind === 'thread' ? 0 : process.pid)
    mains.set(kind, main)
  }
  return main as T
}

/** The runner object of the unit this code runs in, or the main one outside any unit of `kind`. */
export function currentUnit<T extends object>(kind: UnitKind, RunnerClass: abstract new (...args: never[]) => T): T {
  const unit = context.unit
  if (unit?.kind === kind && unit.runner === undefined) unit.runner = unit.makeRunner?.(RunnerClass)
  if (unit?.kind === kind && unit.runner !== undefined) return unit.runner as T
  const { threadId } = threadInfo()
  if (kind === 'thread' && threadId !== 0 && unit === undefined) {
    // A worker thread that @conc did not start: Python calls these dummy threads.
    const dummy = Object.create(RunnerClass.prototype as object) as T
    adoptAsCurrent(dummy, { kind, name: `Dummy-${threadId}`, daemon: true, identity: [], args: [] }, undefined, threadId)
    return dummy
  }
  return mainUnit(kind, RunnerClass)
}

/** What a child process knows about its parent (Python's `parent_process()`). */
export interface ParentProcess {
  readonly name: string
  readonly pid: number
  /** True while the parent process still runs. */
  isAlive(): boolean
}

/** The parent of this process when @conc started it, else `null` (the main process). */
export function parentUnit(): ParentProcess | null {
  const unit = context.unit
  if (unit?.kind !== 'process') return null
  const { name, pid } = unit.parent
  return {
    name,
    pid,
    isAlive() {
      try {
        process.kill(pid, 0)
        return process.ppid === pid
      } catch {
        return false
      }
    },
  }
}
