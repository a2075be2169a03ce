/**
 * Functions travel by reference only: the client names the module that exports the function, as
 * a path inside the application root (the directory deployed on every host and served by
 * `conc-worker --app`), the export name, and the module's version. Nothing else about the
 * function travels, so a host never runs code it did not load from its own copy of the
 * application.
 */
import { readFile, realpath } from 'node:fs/promises'
import { isAbsolute, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TargetNotFoundError } from '@conc/core'
import { importModule, placeOf, type TargetSpec } from '@conc/core/engine'
import { moduleVersion } from './version.js'
import type { FunctionRef } from './wire.js'

function display(spec: TargetSpec): string {
  return spec.name ? `'${spec.name}'` : 'an anonymous function'
}

/** Finds where functions are exported inside one application root. */
export class References {
  readonly #root: Promise<string>
  readonly #rootShown: string
  readonly #cache = new WeakMap<object, Promise<FunctionRef>>()

  constructor(root: string) {
    this.#rootShown = root
    this.#root = realpath(root).catch((error: unknown) => {
      throw new TargetNotFoundError(`the application root ${root} (the 'app' option) cannot be read: ${(error as Error).message}`, { cause: error })
    })
    this.#root.catch(() => undefined)
  }

  /** The reference of `fn` (registered with `spec`), computed once per function. */
  of(fn: object, spec: TargetSpec): Promise<FunctionRef> {
    let ref = this.#cache.get(fn)
    if (ref === undefined) {
      ref = this.#find(fn, spec)
      this.#cache.set(fn, ref)
      ref.catch(() => undefined)
    }
    return ref
  }

  async #find(fn: object, spec: TargetSpec): Promise<FunctionRef> {
    const how =
      `Functions reach worker hosts by reference only: export ${spec.name ? `'${spec.name}'` : 'the function'} at the top level ` +
      `of a module inside the application root ${this.#rootShown} (the 'app' option; hosts serve the same directory with ` +
      "conc-worker --app), or say where it is exported with fromModule(fn, new URL('./module.js', import.meta.url)). " +
      'Closures, bound functions and functions defined inside other functions cannot travel.'
    const url = spec.module
    if (url?.startsWith('node:')) {
      throw new TargetNotFoundError(
        `cannot send ${display(spec)} to a worker host: it comes from Node's built-in module ${url}, and hosts import only ` +
          'modules of the application (a job naming a built-in could run anything). Call it from a function exported by your application.',
      )
    }
    if (url === undefined || !url.startsWith('file:')) {
      throw new TargetNotFoundError(`cannot send ${display(spec)} to a worker host: it was not defined in a module file. ${how}`)
    }
    const file = fileURLToPath(url)
    // Found by identity among the module's exports (core's locator): its place there.
    const path = spec.explicit || spec.path === undefined || spec.path.length === 0 ? undefined : spec.path
    const place = path ?? (await this.#exportPath(fn, spec, url, file))
    const exportName = place?.[0]
    if (place === undefined || exportName === undefined) {
      throw new TargetNotFoundError(`cannot send ${display(spec)} to a worker host: it is not an export of ${file}. ${how}`)
    }
    const root = await this.#root
    const real = await realpath(file)
    const inRoot = relative(root, real)
    if (inRoot === '' || inRoot.startsWith('..') || isAbsolute(inRoot)) {
      throw new TargetNotFoundError(
        `cannot send ${display(spec)} to a worker host: it is exported from ${real}, outside the application root ${root}. ${how}`,
      )
    }
    const deeper = place.length > 1 ? { w: place.slice(1) } : {}
    return { p: inRoot.split(sep).join('/'), x: exportName, ...deeper, h: await moduleVersion(real) }
  }

  /**
   * Where `fn` is exported (its export name, then the member it is, for a static method of an
   * exported class), when core's locator did not find it by identity. The module
   * is imported (it is loaded already, so this is
   * quick) and its exports compared with `fn`. A module still evaluating (the program's entry,
   * awaiting at its top level) cannot be imported without waiting for itself: its source text is
   * searched for the export instead, and the host checks that the export is a function.
   */
  async #exportPath(fn: object, spec: TargetSpec, url: string, file: string): Promise<readonly string[] | undefined> {
    // Core's import: it registers the program's loader hooks (tsx) in this thread first, which a
    // worker thread does not inherit.
    const imported = importModule(url).then(
      (ns: Record<string, unknown>) => ns,
      (error: unknown) => {
        throw new TargetNotFoundError(`cannot send ${display(spec)} to a worker host: ${url} cannot be imported (${(error as Error)?.message ?? String(error)})`, {
          cause: error,
        })
      },
    )
    imported.catch(() => undefined)
    const ns = await Promise.race([imported, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), EVALUATING_MS))])
    const preferred = spec.exportName ?? spec.name
    if (ns === undefined) return preferred && exportedInSource(await readFile(file, 'utf8'), preferred) ? [preferred] : undefined
    if (spec.explicit && spec.exportName !== undefined) return typeof ns[spec.exportName] === 'function' ? [spec.exportName] : undefined
    // By name, then any export, then one level down: a static method of an exported class, a
    // function in an exported object.
    return placeOf(ns, { name: preferred, accept: (value) => value === fn })
  }
}

/** A loaded module answers an import within this long; one that does not is still evaluating. */
const EVALUATING_MS = 25

/** Whether `source` exports `name` (`export function name`, `export const name`, `export { x as name }`). */
export function exportedInSource(source: string, name: string): boolean {
  const id = name.replace(/[$]/g, '\\$')
  const declared = new RegExp(`\\bexport\\s+(?:async\\s+)?(?:function\\s*\\*?|const|let|var|class)\\s*${id}(?![\\w$])`)
  if (declared.test(source)) return true
  for (const list of source.matchAll(/\bexport\s*\{([^}]*)\}/g)) {
    for (const item of (list[1] as string).split(',')) {
      const parts = item.trim().split(/\s+as\s+/)
      if ((parts[1] ?? parts[0])?.trim() === name) return true
    }
  }
  return false
}
