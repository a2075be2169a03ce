/**
 * Which public module of @conc's packages a unit loads (issue 8 §4; ARCHITECTURE.md, "How a unit
 * starts"). Each package's `exports` give Node, by default, the whole implementation
 * (`dist/index.js`), and under the `conc-lazy` condition a facade (`dist/lazy.js`) that loads it on
 * first use, synchronously, with `require()` of the ES module: a unit of a module that imports a
 * backend package then starts without compiling the library it does not use. The facade is safe
 * only where `require()` loads ES modules natively: a require hook that compiles them into copies
 * of its own (tsx's) would give the facade a second copy of the library. So units get the
 * condition only when this program runs with no loader or require hook: nothing of `--import`,
 * `--require`, `--loader` in its command line or in `NODE_OPTIONS`.
 */
import { isBundleFile } from './bundle.js'

/** The export condition of the facades (`"conc-lazy"` in each package's `exports`). */
export const LAZY_CONDITION = 'conc-lazy'
const FLAG = `--conditions=${LAZY_CONDITION}`
const HOOK_FLAG = /^(?:--import|--require|-r|--loader|--experimental-loader)(?:=|$)/

let decided: boolean | undefined

/** Whether units may load the facades: no hook in this process, and @conc not in a bundle. */
function lazyUnits(): boolean {
  if (decided !== undefined) return decided
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter((arg) => arg !== '')
  const hooked = [...process.execArgv, ...nodeOptions].some((arg) => HOOK_FLAG.test(arg))
  // In a bundle, units run the bundle, which resolves no package.
  decided = !hooked && !isBundleFile(process.getBuiltinModule('node:url').fileURLToPath(import.meta.url))
  return decided
}

/**
 * The `execArgv` of a new unit of `kind`, or `undefined` to inherit this program's (Node's
 * default). A child process gets this program's flags and the condition; a worker thread gets the
 * condition only when this program has no flags (a worker refuses some process-wide ones when they
 * are given explicitly), and inherits it from a unit that has it.
 */
export function unitExecArgv(kind: 'thread' | 'process'): string[] | undefined {
  if (process.execArgv.includes(FLAG) || !lazyUnits()) return undefined
  if (kind === 'process') return [...process.execArgv, FLAG]
  return process.execArgv.length === 0 ? [FLAG] : undefined
}
