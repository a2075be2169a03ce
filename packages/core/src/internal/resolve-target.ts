/**
 * The unit side of target shipping: turns a {@link TargetSpec} back into a function, and a
 * subclass spec back into a class. Errors name the function and the module and say how to fix it.
 */
import { TargetNotFoundError, isConcError } from '../errors.js'
import type { AnyFunction } from '../runner.js'
import { isBundle, type TargetSpec } from './target-ref.js'
import type { SubclassSpec } from './wire.js'

let hooksRegistered = false

/** Imports a module, registering the parent's loader hooks (tsx) first when there are any. */
export async function importModule(url: string, loaderHooks: readonly string[]): Promise<Record<string, unknown>> {
  if (!hooksRegistered && loaderHooks.length > 0) {
    hooksRegistered = true
    for (const hook of loaderHooks) {
      const api = (await import(hook)) as { register?: () => unknown }
      api.register?.()
    }
  }
  return (await import(url)) as Record<string, unknown>
}

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
    `Export ${spec.name ? `'${spec.name}'` : 'the function'} from the module that starts the unit ` +
    '(in CommonJS, put it in module.exports), ' +
    `or say where it is exported with fromModule(${name}, new URL('./module.js', import.meta.url)).`
  )
}

/** A function rebuilt from its source carries this mark, so its ReferenceErrors can explain. */
export const kRebuilt = Symbol('rebuilt from source')

export interface ResolvedTarget {
  readonly fn: AnyFunction
  readonly rebuilt: boolean
}

export async function resolveTarget(spec: TargetSpec, loaderHooks: readonly string[]): Promise<ResolvedTarget> {
  let importError: unknown
  if (spec.module !== undefined) {
    let ns: Record<string, unknown> | undefined
    try {
      ns = await importModule(spec.module, loaderHooks)
    } catch (error) {
      // The module tried to start a unit while being imported here: say so, never hide it.
      if (isConcError(error) && error.code === 'ERR_CONC_BOOTSTRAP') throw error
      if (spec.explicit) {
        throw new TargetNotFoundError(
          `cannot import ${spec.module} to find ${display(spec)}: ${(error as Error)?.message ?? String(error)}`,
          { cause: error },
        )
      }
      importError = error
    }
    if (ns !== undefined) {
      const exportName = spec.exportName ?? spec.name
      const byName = exportName ? ns[exportName] : undefined
      if (typeof byName === 'function' && (spec.explicit || source(byName) === spec.source)) {
        return { fn: byName as AnyFunction, rebuilt: false }
      }
      if (spec.explicit) {
        throw new TargetNotFoundError(
          `${spec.module} has no exported function '${exportName}' (found ${typeof byName}). ` +
            'fromModule() needs the module that exports the function and the export name.',
        )
      }
      // A CommonJS module's `module.exports` is its namespace's default; Node names only the
      // exports it can see statically (not `Object.assign(module.exports, api)`, say).
      const commonjs = typeof ns.default === 'object' && ns.default !== null ? Object.values(ns.default) : []
      for (const value of [...Object.values(ns), ...commonjs]) {
        if (typeof value === 'function' && source(value) === spec.source) return { fn: value as AnyFunction, rebuilt: false }
      }
    }
  }
  return { fn: fromSource(spec, importError), rebuilt: true }
}

function fromSource(spec: TargetSpec, importError: unknown): AnyFunction {
  const where = spec.module === undefined ? '' : ` from ${spec.module}`
  const because =
    importError === undefined
      ? spec.module === undefined
        ? 'it was not defined in a module'
        : `it is not exported${where}`
      : `${spec.module} could not be imported (${(importError as Error)?.message ?? String(importError)})`
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
  if (spec.module === undefined) throw new TargetNotFoundError(`cannot find the module of ${spec.exportName}. ${how}`)
  let ns: Record<string, unknown>
  try {
    ns = await importModule(spec.module, loaderHooks)
  } catch (error) {
    throw new TargetNotFoundError(
      `cannot import ${spec.module} to find class ${spec.exportName}: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    )
  }
  const byName = ns[spec.exportName]
  if (typeof byName === 'function') return byName as new () => object
  for (const value of Object.values(ns)) {
    if (typeof value === 'function' && value.name === spec.exportName) return value as new () => object
  }
  throw new TargetNotFoundError(`class ${spec.exportName} is not exported from ${spec.module}. ${how}`)
}
