/**
 * How a target function travels (see ARCHITECTURE.md): by reference to the module that defines or
 * exports it (found by `locator.ts`) or to the calling module, by source as a fallback, or by an
 * explicit module reference given with {@link fromModule}.
 */
import { isAbsolute } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isBundle, isInternal } from './bundle.js'
import { useLocator } from './error-transport.js'
import { knowledge, noteDefinedIn, noteModule } from './known-modules.js'
import { locate } from './locator.js'

// This side has the locator loaded: errors sent from here find their classes with it too.
useLocator(locate)

/** Where `value` is exported, remembering the module that defines it (see error-rebuild.ts). */
function find(value: object, caller: string | undefined): ReturnType<typeof locate> {
  noteModule(caller)
  const found = locate(value, [caller], knowledge)
  if (found?.definedIn !== undefined) noteDefinedIn(value, found.definedIn)
  return found
}

/** What the parent knows about a target; the unit turns it back into a function. */
export interface TargetSpec {
  /** The function's `name` (may be empty for anonymous functions). */
  readonly name: string
  /** Its source text: the fallback, and the check that an export is the same function. */
  readonly source: string
  /**
   * The module expected to export it: the explicit one, else the one that defines or exports it,
   * else the calling module.
   */
  readonly module: string | undefined
  /** The export to look for; defaults to `name`. */
  readonly exportName: string | undefined
  /** Its place among `module`'s exports, when the sender found it there by identity. */
  readonly path?: readonly string[] | undefined
  /** The calling module, tried after `module` when they differ. */
  readonly caller?: string | undefined
  /** True when the module came from {@link fromModule}: no fallback to source. */
  readonly explicit: boolean
}

const kModuleRef = Symbol.for('@conc/module-ref')
interface ModuleRef {
  readonly module: string
  readonly exportName: string
}

function toModuleUrl(file: string): string | undefined {
  if (file.startsWith('file:')) return file
  if (isAbsolute(file)) return pathToFileURL(file).href
  return undefined
}

/**
 * The URL of the first module on the current call stack that is not part of @conc: the module
 * that called `new Thread(...)`, or the one defining a runner subclass (its constructor's frame).
 */
export function callerModule(): string | undefined {
  const { prepareStackTrace, stackTraceLimit } = Error
  const holder: { stack?: NodeJS.CallSite[] } = {}
  try {
    Error.stackTraceLimit = 64
    Error.prepareStackTrace = (_error, callSites) => callSites
    Error.captureStackTrace(holder, callerModule)
    let bundle: string | undefined
    for (const site of holder.stack ?? []) {
      const file = site.getFileName()
      if (file === undefined || file === null) continue
      const url = toModuleUrl(file)
      if (url === undefined) continue
      if (!isInternal(url)) return url
      if (bundle === undefined && isBundle(url)) bundle = url
    }
    return bundle
  } finally {
    Error.prepareStackTrace = prepareStackTrace
    Error.stackTraceLimit = stackTraceLimit
  }
}

/** Normalises a module given as a URL, a `URL` or an absolute path. */
export function normalizeModule(module: string | URL): string {
  if (module instanceof URL) return module.href
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module
  if (isAbsolute(module)) return pathToFileURL(module).href
  throw new TypeError(
    `module must be a URL or an absolute path (use new URL('./file.js', import.meta.url)), got '${module}'`,
  )
}

/**
 * Says where a function is exported from. Rarely needed: a function is found in the module that
 * defines it wherever that is; this is for a module that search cannot see (a bundle that exports
 * the function under another name, a module loaded from a URL). The unit then imports that module
 * only, with no fallback. Returns the same function, so types still flow.
 *
 * @param fn - the function, as imported
 * @param module - the module that exports it: `import.meta.url` of that module, a `URL`, or an
 *   absolute path
 * @param exportName - the export's name, when it differs from `fn.name`
 * @example
 * ```ts
 * import { work } from './work.js'
 * const t = new Thread({ target: fromModule(work, new URL('./work.js', import.meta.url)), args: [1] })
 * ```
 */
export function fromModule<F extends (...args: never[]) => unknown>(
  fn: F,
  module: string | URL,
  exportName: string = fn.name,
): F {
  if (typeof fn !== 'function') throw new TypeError(`fromModule() needs a function, got ${typeof fn}`)
  if (!exportName) throw new TypeError('fromModule() needs an export name for an anonymous function')
  const ref: ModuleRef = { module: normalizeModule(module), exportName }
  Object.defineProperty(fn, kModuleRef, { value: ref, configurable: true })
  noteDefinedIn(fn, ref.module)
  return fn
}

/** Builds the spec for a target called from `caller`. */
export function targetSpec(fn: (...args: never[]) => unknown, caller: string | undefined): TargetSpec {
  const source = Function.prototype.toString.call(fn)
  const ref = (fn as unknown as Record<symbol, ModuleRef | undefined>)[kModuleRef]
  if (ref !== undefined) return { name: fn.name, source, module: ref.module, exportName: ref.exportName, explicit: true }
  const found = find(fn, caller)
  return {
    name: fn.name,
    source,
    module: found?.module ?? caller,
    exportName: undefined,
    path: found?.path,
    caller: found === undefined || found.module === caller ? undefined : caller,
    explicit: false,
  }
}

/** Where a class (a runner subclass, an error's class) can be imported from: see {@link locate}. */
export function classRef(Class: abstract new (...args: never[]) => unknown, caller: string | undefined): { module: string | undefined; path: readonly string[] | undefined } {
  const found = find(Class, caller)
  return { module: found?.module ?? caller, path: found?.path }
}
