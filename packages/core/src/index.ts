/**
 * `@conc/core`: the contract that `@conc/threading` and `@conc/multiprocessing` implement. Most
 * programs import a backend package instead, which re-exports what they need from here.
 *
 * @module
 */

// The runner contract
export { BaseRunner, activeRunners } from './runner.js'
export type { AnyFunction, RunnerOptions } from './runner.js'
export { currentUnit, mainUnit, parentUnit } from './current.js'
export type { ParentProcess } from './current.js'
export { isMain } from './is-main.js'
export { fromModule, registerInternalModule } from './internal/target-ref.js'

// Uncaught errors in units
export { defaultExcepthook, getExcepthook, setExcepthook } from './excepthook.js'
export type { ExceptHook, ExceptHookArgs } from './excepthook.js'

// Errors
export { ConcError, ConcTypeError, RuntimeError, TargetNotFoundError, ValueError, isConcError } from './errors.js'
export type { ConcErrorCode } from './errors.js'

// The backend seam
export type { UnitBackend, UnitExit, UnitHandle, UnitKind } from './backend.js'
export type { UnitInit, UnitMessage } from './internal/wire.js'

// Executors, futures and pools (issue 3): add exports here.

// Synchronization and communication primitives (issue 4): add exports here.
