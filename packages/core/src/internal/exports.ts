/**
 * Where a value sits among a module's exports: one search for everything that travels by
 * reference. The sender's locator uses it to find a function's place by identity (`locator.ts`);
 * the receiver uses it to find a target, a runner subclass or an error class by path, name and
 * what it accepts (`resolve-target.ts`, `error-rebuild.ts`).
 *
 * A place is the export itself (`['work']`) or a member of an export (`['Tasks', 'run']`: a
 * class's static method, a property of an exported plain object or namespace); members of
 * instances are not searched. Members are read only when they are data properties: a getter
 * could run code or load a module. The exports themselves are read the same way by the sender,
 * which searches modules it did not import for this; the receiver, which has just imported the
 * module, reads them through getters too (a namespace built by a bundler or a test runner, such as
 * esbuild's or vitest's, exports through getters).
 */

/** How an export is read from the module's exports. */
export type ReadExport = (exports: object, key: string) => unknown

/** The value of an own data property: a getter could run code or load a module. */
function dataValue(object: object, key: string): unknown {
  try {
    const descriptor = Object.getOwnPropertyDescriptor(object, key)
    return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined
  } catch {
    return undefined // a binding not initialized yet (a module still being evaluated)
  }
}

/** The value of an export, through its getter if it has one (the module was imported already). */
function exportValue(exports: object, key: string): unknown {
  try {
    return (exports as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

const isObject = (value: unknown): value is object => (typeof value === 'object' || typeof value === 'function') && value !== null

/** Walks `path` from `exports`: `['default', 'Tasks', 'run']` (the first key read by `read`). */
function walk(exports: unknown, path: readonly string[], read: ReadExport): unknown {
  let value: unknown = exports
  for (let i = 0; i < path.length; i++) {
    if (!isObject(value)) return undefined
    value = (i === 0 ? read : dataValue)(value, path[i] as string)
  }
  return value
}

/** An export whose members are searched: a class or function (static methods), a plain object or namespace. */
function isContainer(value: unknown): value is object {
  if (typeof value === 'function') return true
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function keysOf(value: object): string[] {
  try {
    return Object.getOwnPropertyNames(value)
  } catch {
    return []
  }
}

/**
 * The place of the first export that `accept`s: among the exports themselves (`deep` false), or
 * among the members of exports (`deep` true).
 */
export function placeIn(exports: unknown, accept: (value: unknown) => boolean, deep: boolean, read: ReadExport = dataValue): string[] | undefined {
  if (!isObject(exports)) return undefined
  for (const key of keysOf(exports)) {
    const value = read(exports, key)
    if (!deep) {
      if (accept(value)) return [key]
    } else if (isContainer(value)) {
      for (const member of keysOf(value)) {
        if (member !== 'prototype' && member !== 'constructor' && accept(dataValue(value, member))) return [key, member]
      }
    }
  }
  return undefined
}

/** What to look for among a module's exports. */
export interface Wanted {
  /** Its place, when the sender found it by identity. */
  readonly path?: readonly string[] | undefined
  /** The name it is exported under, most likely. */
  readonly name?: string | undefined
  /** Whether a candidate is the one. */
  readonly accept: (value: unknown) => boolean
}

/**
 * The place of a value among the exports of a module this program imported: its place when
 * known, else the export with its name, else any export, else any member of an export, that
 * `accept`s.
 */
export function placeOf(exports: unknown, wanted: Wanted): readonly string[] | undefined {
  const { path, name, accept } = wanted
  if (path !== undefined && accept(walk(exports, path, exportValue))) return path
  if (name && isObject(exports) && accept(exportValue(exports, name))) return [name]
  return placeIn(exports, accept, false, exportValue) ?? placeIn(exports, accept, true, exportValue)
}

/** The value at {@link placeOf}: what the receiver of a reference runs or rebuilds. */
export function findExport(exports: unknown, wanted: Wanted): unknown {
  const place = placeOf(exports, wanted)
  return place === undefined ? undefined : walk(exports, place, exportValue)
}
