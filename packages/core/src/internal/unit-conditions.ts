/**
 * Which public module of @conc's packages a unit loads (issue 8 §4; ARCHITECTURE.md, "How a unit
 * starts"). Each package's `exports` give Node, by default, the whole implementation
 * (`dist/index.js`), and under the `conc-lazy` condition a facade (`dist/lazy.js`) that loads it on
 * first use, synchronously, with `require()` of the ES module: a unit of a module that imports a
 * backend package then starts without compiling the library it does not use. The facade is safe
 * only where `require()` loads ES modules natively: a require hook that compiles them into copies
 * of its own (tsx's) would give the facade a second copy of the library. A unit inherits this
 * program's hooks (its command line, `NODE_OPTIONS`), so units get the condition only when
 * `require()` of an ES module returns its namespace here (`esm-probe.js`, an empty module).
 */
import { coreIsBundled } from './bundle.js'
import { context } from './context.js'
import { LAZY_FLAG as FLAG } from './unit-arg.js'

let decided: boolean | undefined

/** Whether `require()` loads an ES module natively in this process (no hook compiles it). */
function requireIsNative(): boolean {
  try {
    const ns: unknown = process.getBuiltinModule('node:module').createRequire(import.meta.url)('./esm-probe.js')
    return Object.prototype.toString.call(ns) === '[object Module]'
  } catch {
    return false
  }
}

/** Whether units may load the facades: `require()` is native here, and @conc is not in a bundle. */
function lazyUnits(): boolean {
  // In a bundle, units run the bundle, which resolves no package.
  decided ??= !coreIsBundled() && requireIsNative()
  return decided
}

/**
 * The `execArgv` of a new unit, or `undefined` to inherit this program's (Node's default): this
 * program's flags and the condition. A worker thread refuses some process-wide flags given
 * explicitly (`ERR_WORKER_INVALID_EXEC_ARGV`, thrown by `new Worker`): the thread backend then
 * starts it without, inheriting this program's flags. A unit's own units inherit the condition.
 *
 * Not for a pool's workers (`init.service`): they load the library itself. A worker runs many
 * tasks at once and imports their modules as batches come, and a stand-in's first use there
 * could `require()` the library while an `import()` of a module it shares was still loading,
 * which aborts Node 20 (`v8::Module::IsGraphAsync`; it killed a whole test process once, a
 * worker thread being part of it). A worker starts once for many tasks, so what the facade saves
 * matters far less there than in a `Thread` or `Process`.
 */
export function unitExecArgv(init?: { readonly service?: unknown }): string[] | undefined {
  if (init?.service !== undefined) return undefined
  // A unit started with the condition has it removed from its execArgv (claimUnit).
  if (process.execArgv.includes(FLAG) || !(context.lazyUnits === true || lazyUnits())) return undefined
  return [...process.execArgv, FLAG]
}
