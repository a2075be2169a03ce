/**
 * The unit side of target shipping: turns a {@link TargetSpec} back into a function, and a
 * subclass spec back into a class. Errors name the function and the module and say how to fix it.
 */
import { TargetNotFoundError, isConcError } from '../errors.js'
import type { AnyFunction } from '../runner.js'
import { findExport } from './exports.js'
import { importModule } from './import-module.js'
import { definedIn, noteModule } from './known-modules.js'
import { isBundle } from './bundle.js'
import type { TargetSpec } from './target-ref.js'
import type { SubclassSpec } from './wire.js'

const source = (fn: unknown): string => Function.prototype.toString.call(fn)

function display(spec: TargetSpec): string {
  return spec.name ? `'${spec.name}'` : 'an anonymous function'
}

function fix(spec: TargetSpec): string {
  const name = spec.name || 'fn'
  if (name.startsWith('bound ')) {
    return (
      `A bound function cannot travel: pass the original function '${name.slice(6)}' (exported from ` +
      'its module) as the target and the bound values as leading args.'
    )
  }
  if (spec.module !== undefined && isBundle(spec.module)) {
    return (
      `${spec.module} is a bundle: a target travels by reference to the bundle, so export ` +
      `${spec.name ? `'${spec.name}'` : 'the function'} from the bundle's entry module (re-export it ` +
      `there if another module defines it: export { ${name} } from './module.js').`
    )
  }
  return (
    `Export ${spec.name ? `'${spec.name}'` : 'the function'} from the module that defines it ` +
    `(any module that exports it will do; in CommonJS, put it in module.exports), or say where it ` +
    `is exported with fromModule(${name}, new URL('./module.js', import.meta.url)).`
  )
}

/** A function rebuilt from its source carries this mark, so its ReferenceErrors can explain. */
export const kRebuilt = Symbol('rebuilt from source')

export interface ResolvedTarget {
  readonly fn: AnyFunction
  readonly rebuilt: boolean
  /** Read from the bindings of its module, which is still being evaluated (see boundInModule). */
  readonly bound?: boolean | undefined
}

/** The modules to search, in order: the one found for it, then the calling module. */
function modulesOf(spec: { readonly module: string | undefined; readonly caller?: string | undefined }): string[] {
  const list: string[] = []
  for (const module of [spec.module, spec.caller]) if (module !== undefined && !list.includes(module)) list.push(module)
  return list
}

/**
 * Imports `modules` in order and returns the first thing `find` finds in one of them (`path`: the
 * place the sender found by identity, given for the module it was found in), or the first import
 * error when nothing was found. A module that tries to start a unit while it is imported here
 * fails the search at once: never hide it.
 */
async function searchModules<T>(
  modules: readonly string[],
  spec: { readonly module?: string | undefined; readonly path?: readonly string[] | undefined },
  loaderHooks: readonly string[],
  find: (ns: Record<string, unknown>, path: readonly string[] | undefined) => T | undefined,
): Promise<{ readonly found?: T; readonly importError?: unknown }> {
  let importError: unknown
  for (const module of modules) {
    let ns: Record<string, unknown>
    try {
      ns = await importModule(module, { loaderHooks })
    } catch (error) {
      if (isConcError(error) && error.code === 'ERR_CONC_BOOTSTRAP') throw error
      importError ??= error
      continue
    }
    noteModule(module, ns)
    const found = find(ns, module === spec.module ? spec.path : undefined)
    if (found !== undefined) return { found }
  }
  return { importError }
}

/**
 * The function `spec` names, read from its module's top-level bindings through a function of that
 * module this isolate already has (the locator noted one when it located a function there): no
 * import. Where the module is this program's entry, paused at a top-level `await` for the very
 * result this function is needed for (a manager's objects live in the program that made it: its
 * `Pool()` and a `Barrier`'s action), importing it again would wait for that await, and the
 * program would end with exit code 13 and no message.
 */
async function boundInModule(spec: TargetSpec): Promise<{ readonly fn?: AnyFunction; readonly evaluating: boolean }> {
  const anchor = spec.module === undefined ? undefined : definedIn(spec.module)
  if (anchor === undefined || !(await stillEvaluating(spec.module as string))) return { evaluating: false }
  const { moduleBinding } = await import('./inspector.js')
  for (const name of new Set([spec.exportName, spec.path?.length === 1 ? spec.path[0] : undefined, spec.name])) {
    if (name === undefined || name === '' || name === 'default') continue
    const value = moduleBinding(anchor, name)
    if (typeof value === 'function' && source(value) === spec.source) return { fn: value as AnyFunction, evaluating: true }
  }
  // Not among the bindings V8 keeps (a function the module does not export, which nothing else
  // uses, is not kept there): the module must not be imported either.
  return { evaluating: true }
}

/** How long the import of a module this isolate has loaded may take before it counts as still being evaluated. */
const EVALUATED_MS = 100
const noop = (): void => {}
/** One import per module probed: once it has settled, the module is known to be evaluated. */
const probes = new Map<string, { settled: boolean; late: boolean; readonly import: Promise<void> }>()

/**
 * Whether `url`, a module this isolate has loaded, is still being evaluated (paused at a top-level
 * `await`): its import then does not settle. Only then are its bindings read instead, so that a
 * module that finished loading is searched the usual way, by its exports.
 */
async function stillEvaluating(url: string): Promise<boolean> {
  let probe = probes.get(url)
  if (probe === undefined) {
    const made = { settled: false, late: false, import: import(url).then(noop, noop) }
    void made.import.then(() => (made.settled = true))
    probes.set(url, made)
    probe = made
  }
  if (probe.settled) return false
  // Found late before and not settled since: still being evaluated, no need to wait again.
  if (probe.late) return true
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), EVALUATED_MS)
  })
  try {
    const evaluating = await Promise.race([probe.import.then(() => false), late])
    if (evaluating) probe.late = true
    return evaluating
  } finally {
    clearTimeout(timer)
  }
}

export async function resolveTarget(spec: TargetSpec, loaderHooks: readonly string[]): Promise<ResolvedTarget> {
  const message = (error: unknown): string => (error as Error)?.message ?? String(error)
  const bound = await boundInModule(spec)
  if (bound.fn !== undefined) return { fn: bound.fn, rebuilt: false, bound: true }
  if (bound.evaluating && spec.explicit) {
    throw new TargetNotFoundError(
      `cannot find ${display(spec)}: ${spec.module} is still being evaluated (it waits at a top-level await), so it cannot be ` +
        `imported, and it has no top-level binding '${spec.exportName ?? spec.name}' with that function. Export the function from that module.`,
    )
  }
  if (spec.explicit && spec.module !== undefined) {
    const exportName = spec.exportName ?? spec.name
    let byName: unknown
    const { found, importError } = await searchModules([spec.module], spec, loaderHooks, (ns) => {
      byName = exportName ? ns[exportName] : undefined
      return typeof byName === 'function' ? (byName as AnyFunction) : undefined
    })
    if (found !== undefined) return { fn: found, rebuilt: false }
    if (importError !== undefined) {
      throw new TargetNotFoundError(`cannot import ${spec.module} to find ${display(spec)}: ${message(importError)}`, { cause: importError })
    }
    throw new TargetNotFoundError(
      `${spec.module} has no exported function '${exportName}' (found ${typeof byName}). ` +
        'fromModule() needs the module that exports the function and the export name.',
    )
  }
  const sameSource = (value: unknown): boolean => typeof value === 'function' && source(value) === spec.source
  // A module still being evaluated is not imported (see boundInModule): the source is the fallback.
  const modules = bound.evaluating ? modulesOf(spec).filter((module) => module !== spec.module) : modulesOf(spec)
  const { found, importError } = await searchModules(modules, spec, loaderHooks, (ns, path) =>
    findExport(ns, { path, name: spec.name, accept: sameSource }) as AnyFunction | undefined,
  )
  if (found !== undefined) return { fn: found, rebuilt: false }
  return { fn: fromSource(spec, importError), rebuilt: true }
}

function fromSource(spec: TargetSpec, importError: unknown): AnyFunction {
  const modules = modulesOf(spec).join(' or ')
  const because =
    importError === undefined
      ? modules === ''
        ? 'it was not defined in a module'
        : `it is not exported from ${modules}`
      : `${modules} could not be imported (${(importError as Error)?.message ?? String(importError)})`
  if (/\{\s*\[native code\]\s*\}\s*$/.test(spec.source)) {
    throw new TargetNotFoundError(
      `cannot send target ${display(spec)}: ${because}, and it is a native or bound function, ` +
        `which has no source to rebuild. ${fix(spec)}`,
      { cause: importError },
    )
  }
  const indirectEval = eval
  let fn: unknown
  try {
    fn = indirectEval(`(${spec.source}\n)`)
  } catch {
    try {
      // Method shorthand (`work() {}`) is not an expression on its own.
      fn = (indirectEval(`({ ${spec.source}\n})`) as Record<string, unknown>)[spec.name]
    } catch (error) {
      throw new TargetNotFoundError(
        `cannot send target ${display(spec)}: ${because}, and its source could not be rebuilt ` +
          `(${(error as Error).message}). ${fix(spec)}`,
        { cause: error },
      )
    }
  }
  if (typeof fn !== 'function') {
    throw new TargetNotFoundError(`cannot send target ${display(spec)}: ${because}, and its source is not a function. ${fix(spec)}`)
  }
  Object.defineProperty(fn, kRebuilt, { value: { because, spec } })
  return fn as AnyFunction
}

/**
 * Adds to a ReferenceError thrown by a function rebuilt from its source what happened and how to
 * fix it: the names it used lived in its module, which the unit did not import.
 */
export function explainRebuiltFailure(error: unknown, target: AnyFunction): void {
  const info = (target as unknown as Record<symbol, { because: string; spec: TargetSpec } | undefined>)[kRebuilt]
  if (info === undefined || !(error instanceof ReferenceError)) return
  const note =
    ` (target ${display(info.spec)} was rebuilt from its source because ${info.because}; ` +
    `a rebuilt function cannot see its module's variables or imports. ${fix(info.spec)})`
  const first = `${error.name}: ${error.message}`
  const stack = error.stack // read before the message changes: V8 formats the stack lazily
  error.message += note
  if (typeof stack === 'string' && stack.startsWith(first)) {
    error.stack = `${error.name}: ${error.message}${stack.slice(first.length)}`
  }
}

/** Finds a runner subclass: it travels by reference, so it must be exported from its module. */
export async function resolveSubclass(spec: SubclassSpec, loaderHooks: readonly string[]): Promise<new () => object> {
  const how =
    `A runner subclass travels by reference: export class ${spec.exportName} from the module that ` +
    'defines it, and guard that module\'s entry code with isMain(import.meta).'
  const modules = modulesOf(spec)
  if (modules.length === 0) throw new TargetNotFoundError(`cannot find the module of ${spec.exportName}. ${how}`)
  const isTheClass = (value: unknown): boolean => typeof value === 'function' && value.name === spec.exportName
  const { found, importError } = await searchModules(modules, spec, loaderHooks, (ns, path) =>
    findExport(ns, { path, name: spec.exportName, accept: isTheClass }) as (new () => object) | undefined,
  )
  if (found !== undefined) return found
  if (importError !== undefined) {
    throw new TargetNotFoundError(
      `cannot import ${modules.join(' or ')} to find class ${spec.exportName}: ${(importError as Error)?.message ?? String(importError)}`,
      { cause: importError },
    )
  }
  throw new TargetNotFoundError(`class ${spec.exportName} is not exported from ${modules.join(' or ')}. ${how}`)
}
