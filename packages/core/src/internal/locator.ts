/**
 * Finds, for a function or a class, a module that exports it, so that it can travel by reference
 * (Python pickles functions and classes by module and qualified name). The sender asks V8 where the
 * function's code is (`[[FunctionLocation]]`: a script id and a position), then turns the script id
 * into a URL, cheapest way first:
 *
 * 1. a script id seen before;
 * 2. the text of a module this program is known to use (the calling module, the modules units
 *    imported, the files of an error's stack) and of the modules they import by relative path: the
 *    file whose text has the function's source at that position is the one;
 * 3. CommonJS modules and loaded built-in modules, searched for the value itself;
 * 4. the list of every script V8 has compiled (the Debugger, on for a moment: the expensive step).
 *
 * When the module's exports can be read here without running anything (CommonJS, built-ins), the
 * value's place among them is found by identity and sent as a path; an ES module's namespace
 * cannot be read synchronously, so the unit finds the export by name and source. Results are
 * cached per value.
 */
import { isAbsolute } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { placeIn as placeAmong } from './exports.js'
import { functionLocation, scriptUrls, type FunctionLocation } from './inspector.js'

/** Where a value can be imported from. */
export interface Located {
  /** URL of a module that defines or exports the value. */
  readonly module: string
  /**
   * The value's place among that module's exports when it was found by identity (`['default',
   * 'work']` for a CommonJS `exports.work`, `['default', 'Tasks', 'run']` for a static method).
   */
  readonly path?: readonly string[] | undefined
  /** False when the module's exports were read here and the value is not among them. */
  readonly exported?: boolean | undefined
  /** The module whose code defines the value, when that is known. */
  readonly definedIn?: string | undefined
}

/**
 * What the program knows about its modules (`known-modules.ts`), passed in so that this file,
 * which a unit loads only when an error needs it, shares no chunk with the unit runtime.
 */
export interface ModuleKnowledge {
  /** Modules whose text is worth reading first. */
  readonly known: () => Iterable<string>
  /** The namespace of an ES module imported here. */
  readonly namespaceOf: (url: string) => object | undefined
}

const located = new WeakMap<object, Located | null>()
const scripts = new Map<string, string>()
const importsOf = new Map<string, readonly string[]>()
// Built-in modules are taken when needed: the ES module facade of node:fs alone loads fs/promises.
const fs = (): typeof import('node:fs') => process.getBuiltinModule('node:fs')
const moduleCache = (): Record<string, { exports?: unknown } | undefined> =>
  process.getBuiltinModule('node:module').createRequire(import.meta.url).cache
let builtins: Set<string> | undefined
const isPublicBuiltin = (id: string): boolean => (builtins ??= new Set(process.getBuiltinModule('node:module').builtinModules)).has(id)
/** How many files a search for a function's module reads at most. */
const MAX_FILES = 64

function toUrl(name: string): string | undefined {
  if (name === '') return undefined
  if (isAbsolute(name)) return pathToFileURL(name).href
  return name
}

/**
 * Where `value` can be imported from, or `undefined` (a function made by `eval`, a native or
 * bound function that no module exports). `hints` are modules worth reading first.
 */
export function locate(value: object, hints: Iterable<string | undefined>, knowledge: ModuleKnowledge): Located | undefined {
  const cached = located.get(value)
  if (cached !== undefined) return cached ?? undefined
  const found = find(value, hints, knowledge)
  located.set(value, found ?? null)
  return found
}

function find(value: object, hints: Iterable<string | undefined>, knowledge: ModuleKnowledge): Located | undefined {
  const where = functionLocation(value)
  if (where === undefined) return byIdentity(value)
  let url = scripts.get(where.scriptId) ?? byText(value, where, [...hints, ...knowledge.known()])
  if (url === undefined) {
    const exported = byIdentity(value)
    if (exported !== undefined) return exported
    for (const [id, name] of scriptUrls() ?? []) scripts.set(id, name)
    url = scripts.get(where.scriptId)
  }
  const module = url === undefined ? undefined : toUrl(url)
  if (module === undefined) return undefined
  const found = withPath(value, module, knowledge)
  return found === undefined ? undefined : { ...found, definedIn: module }
}

/** The module `url` defines `value`: say where it sits among its exports when that can be read. */
function withPath(value: object, url: string, knowledge: ModuleKnowledge): Located | undefined {
  if (url.startsWith('node:')) {
    const id = url.slice(5)
    const path = isPublicBuiltin(id) ? placeIn(process.getBuiltinModule(url), value) : undefined
    // A function of an internal module (node:internal/...) is found through a public one.
    return path === undefined ? byIdentity(value, (module) => module.startsWith('node:')) : { module: url, path: ['default', ...path] }
  }
  const namespace = knowledge.namespaceOf(url)
  if (namespace !== undefined) {
    const path = placeIn(namespace, value)
    return path === undefined ? { module: url, exported: false } : { module: url, path }
  }
  if (url.startsWith('file:')) {
    const cjs = moduleCache()[safePath(url) ?? '']
    if (cjs !== undefined) {
      const path = placeIn(cjs.exports, value)
      if (path !== undefined) return { module: url, path: ['default', ...path] }
      return byIdentity(value, (module) => module.startsWith('file:')) ?? { module: url, exported: false }
    }
  }
  return { module: url }
}

function safePath(url: string): string | undefined {
  try {
    return fileURLToPath(url)
  } catch {
    return undefined
  }
}

// --- by text: the function's source at its position in a file ---------------------------------

function byText(value: object, where: FunctionLocation, hints: Iterable<string | undefined>): string | undefined {
  let source: string
  try {
    source = Function.prototype.toString.call(value)
  } catch {
    return undefined
  }
  const queue: string[] = []
  for (const hint of hints) if (hint !== undefined) queue.push(hint)
  const seen = new Set<string>()
  while (queue.length > 0 && seen.size < MAX_FILES) {
    const url = queue.shift() as string
    if (seen.has(url)) continue
    seen.add(url)
    const text = readSource(url)
    if (text === undefined) continue
    if (hasSourceAt(text, where, source)) {
      scripts.set(where.scriptId, url)
      return url
    }
    queue.push(...relativeImports(url, text))
  }
  return undefined
}

function readSource(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined
  const path = safePath(url)
  if (path === undefined) return undefined
  try {
    const text = fs().readFileSync(path, 'utf8')
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  } catch {
    return undefined
  }
}

/** Whether `source` is in `text` and spans the position (V8's line terminators: \n, \r, \r\n, U+2028/9). */
function hasSourceAt(text: string, where: FunctionLocation, source: string): boolean {
  const breaks = /\r\n|[\n\r\u2028\u2029]/g
  for (let line = 0; line < where.line; line++) {
    if (breaks.exec(text) === null) return false
  }
  const offset = breaks.lastIndex + where.column
  const start = text.lastIndexOf(source, offset)
  return start >= 0 && start + source.length > offset
}

const IMPORT = /(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\()\s*(['"])(\.{1,2}\/[^'"\n]+)\1/g

/** The files `url` imports by relative path (static, dynamic, `require`), resolved. */
function relativeImports(url: string, text: string): readonly string[] {
  let list = importsOf.get(url)
  if (list === undefined) {
    const found = new Set<string>()
    for (const match of text.matchAll(IMPORT)) {
      const resolved = resolveFile(match[2] as string, url)
      if (resolved !== undefined) found.add(resolved)
    }
    list = [...found]
    importsOf.set(url, list)
  }
  return list
}

function resolveFile(specifier: string, from: string): string | undefined {
  for (const suffix of ['', '.js', '.mjs', '.cjs', '/index.js']) {
    const url = new URL(specifier + suffix, from)
    const path = safePath(url.href)
    if (path !== undefined && fs().statSync(path, { throwIfNoEntry: false })?.isFile() === true) return url.href
  }
  return undefined
}

// --- by identity: module exports this program can read without running anything ---------------

/**
 * Where `value` is in `exports`: the object itself or an export (`deep` false), or a member of an
 * export: a class's static method, a property of an exported plain object (`deep` true).
 */
function pathIn(exports: unknown, value: object, deep: boolean): string[] | undefined {
  if (exports === value) return []
  return placeAmong(exports, (candidate) => candidate === value, deep)
}

/** Where `value` is in `exports`, shallow places first. */
const placeIn = (exports: unknown, value: object): string[] | undefined => pathIn(exports, value, false) ?? pathIn(exports, value, true)

/** Modules whose exports can be read without running anything: CommonJS and loaded built-ins. */
function readable(): [string, unknown][] {
  const list: [string, unknown][] = []
  for (const [file, module] of Object.entries(moduleCache())) list.push([pathToFileURL(file).href, module?.exports])
  for (const entry of (process as unknown as { moduleLoadList?: readonly string[] }).moduleLoadList ?? []) {
    const id = entry.startsWith('NativeModule ') ? entry.slice(13) : undefined
    if (id !== undefined && isPublicBuiltin(id)) list.push([`node:${id}`, process.getBuiltinModule(`node:${id}`)])
  }
  return list
}

/** Searches every readable module for `value`, shallow places in all of them first. */
function byIdentity(value: object, only?: (url: string) => boolean): Located | undefined {
  const modules = readable().filter(([url]) => only === undefined || only(url))
  for (const deep of [false, true]) {
    for (const [module, exports] of modules) {
      const path = pathIn(exports, value, deep)
      if (path !== undefined) return { module, path: ['default', ...path] }
    }
  }
  return undefined
}
