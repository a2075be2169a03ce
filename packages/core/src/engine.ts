/**
 * `@conc/core/engine`: the seam for packages that run `Executor` and `BasePool` on their own
 * engine (as `@conc/distributed` does over a job queue). Not for applications: import a backend
 * package instead. See ARCHITECTURE.md, "The engine seam".
 *
 * @module
 */
export { engineFlavor } from './executor/engine.js'
export type { EngineFlavor, PoolEngine } from './executor/engine.js'
export type { WorkerPoolOptions as EngineOptions } from './executor/flavor.js'
export { FunctionRegistry } from './executor/function-registry.js'
export type { FnEntry } from './executor/function-registry.js'
export { Task } from './executor/task.js'
export type { TaskSink, TaskExtra } from './executor/task.js'
export { MODE_CALL, MODE_CHUNK, MODE_ONE, MODE_STAR_CHUNK } from './executor/protocol.js'
export type { TaskMode } from './executor/protocol.js'
export type { TargetSpec } from './internal/target-ref.js'
export { formatThrown, readyToSerialize, serializeThrown } from './internal/error-transport.js'
export type { ClassRef, SerializedThrown } from './internal/error-transport.js'
export { deserializeThrown, loadErrorClasses } from './internal/error-rebuild.js'
export { describe, shownValue } from './internal/messages.js'
export { unmove } from './executor/move.js'
export { placeOf } from './internal/exports.js'
export { onAbort } from './internal/abort.js'
export type { Wanted } from './internal/exports.js'
export { importModule } from './internal/import-module.js'
export type { ImportOptions } from './internal/import-module.js'
