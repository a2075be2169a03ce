/**
 * One way for errors to cross a boundary, used by every backend and in both directions. Structured
 * clone and V8 serialization keep an `Error`'s message and stack but drop its class, custom `name`
 * and own properties; here they are carried explicitly, and the class travels as Python pickles an
 * exception's class: by reference.
 *
 * - Built-in classes (`TypeError`, `AggregateError`, `DOMException`…) by name.
 * - Classes registered with {@link registerErrorClass} (@conc's own) by name: rebuilt at once,
 *   without an import.
 * - Any other class by the module that exports it (found by `locator.ts`, like a target function),
 *   imported on the other side (`error-rebuild.ts`); the error is made with
 *   `Object.create(Class.prototype)`, without running the constructor.
 *
 * A class that cannot be found falls back to its nearest ancestor that can (at worst `Error`),
 * keeping the original `name`. The locator is loaded only when an error needs it: a unit does
 * not pay for it at start-up.
 */
import { knowledge } from './known-modules.js'
import { loadLazyModules } from './context.js'
import type { Located } from './locator.js'

/** How to find an error's class on the other side. */
export type ClassRef =
  | { readonly builtin: string }
  | { readonly registered: string }
  | { readonly module: string; readonly path: readonly string[] | undefined; readonly name: string }

export interface SerializedError {
  readonly $concError: 1
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
  readonly cause?: SerializedThrown
  /** An `AggregateError`'s errors. */
  readonly errors?: readonly SerializedThrown[]
  readonly props: Record<string, unknown>
  /** Its class and its ancestors, most derived first: the first one found is used. */
  readonly classes?: readonly ClassRef[]
  /** The keys of `props` whose values refer to the error itself (`SELF` marks where). */
  readonly self?: readonly string[]
  /** `cause` is the error itself. */
  readonly selfCause?: 1
}

/** Stands for the error itself inside its own properties (`error.self = error`). */
export const SELF = Object.freeze({ $concSelf: 1 })
export const isSelfMark = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && (value as { $concSelf?: unknown }).$concSelf === 1 && Object.keys(value).length === 1

/**
 * `value` with each place where `swap` gives something else replaced by that, in plain objects
 * and arrays (8 levels, 10,000 members at most), copying only what leads to a change; `value`
 * itself when nothing changes. Marks the error itself in its properties, and puts it back.
 */
export function swapDeep(value: unknown, swap: (v: unknown) => unknown): unknown {
  let budget = 10_000
  const walk = (v: unknown, depth: number): unknown => {
    const swapped = swap(v)
    if (swapped !== v) return swapped
    if (typeof v !== 'object' || v === null || depth >= 8 || --budget < 0) return v
    if (Array.isArray(v)) {
      let copy: unknown[] | undefined
      for (let i = 0; i < v.length; i++) {
        const w = walk(v[i], depth + 1)
        if (w !== v[i]) (copy ??= [...v])[i] = w
      }
      return copy ?? v
    }
    if (Object.getPrototypeOf(v) !== Object.prototype) return v
    let copy: Record<string, unknown> | undefined
    for (const [key, item] of Object.entries(v)) {
      const w = walk(item, depth + 1)
      if (w !== item) (copy ??= { ...(v as Record<string, unknown>) })[key] = w
    }
    return copy ?? v
  }
  return walk(value, 0)
}

/** What a `throw` can carry: an error, or any other value (Python cannot throw those; JS can). */
export type SerializedThrown = SerializedError | { readonly $concValue: 1; readonly value: unknown }

export type ErrorClass = abstract new (...args: never[]) => Error

export const BUILTINS = new Map<string, ErrorClass>(
  [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError, globalThis.DOMException]
    .filter((Class) => typeof Class === 'function')
    .map((Class) => [Class.name, Class as ErrorClass]),
)
const builtinClasses = new Set<unknown>(BUILTINS.values())

export interface Registered {
  readonly Class: ErrorClass
  readonly restore: ((error: Error, props: Record<string, unknown>) => void) | undefined
  readonly recognise: ((error: unknown) => boolean) | undefined
}
const registered = new Map<string, Registered>()
export const registeredClass = (name: string): Registered | undefined => registered.get(name)
const registeredClasses = new Set<unknown>()

/**
 * Makes `Class` travel by name: the other side rebuilds it from its own registry, synchronously.
 * For @conc's classes, which register themselves when their module loads.
 *
 * @param restore - gives a rebuilt error what its constructor would have (a brand, a read-only `code`)
 * @param recognise - recognises an error of the same class from another copy of the package
 */
export function registerErrorClass(
  Class: ErrorClass,
  restore?: (error: Error, props: Record<string, unknown>) => void,
  recognise?: (error: unknown) => boolean,
): void {
  registered.set(Class.name, { Class, restore, recognise })
  registeredClasses.add(Class)
}

// --- sending -------------------------------------------------------------------------------------

type Locate = (value: object, hints: Iterable<string | undefined>) => Located | undefined
let locate: Locate | undefined

/** Makes the locator available to {@link serializeThrown} (target-ref.ts does, and so does {@link readyToSerialize}). */
export function useLocator(fn: (value: object, hints: Iterable<string | undefined>, known: typeof knowledge) => Located | undefined): void {
  locate = (value, hints) => fn(value, hints, knowledge)
}

/** The class of `error` when it is neither built-in nor registered: one the locator must find. */
function userClass(error: Error): object | undefined {
  const Class = (Object.getPrototypeOf(error) as { constructor?: unknown } | null)?.constructor
  if (typeof Class !== 'function' || builtinClasses.has(Class) || refsOf.has(Class)) return undefined
  if (registeredClasses.has(Class) || registered.get(Class.name)?.recognise?.(error) === true) return undefined
  return Class
}

function needsLocator(thrown: unknown, depth: number): boolean {
  if (!(thrown instanceof Error) || depth > 8) return false
  if (userClass(thrown) !== undefined) return true
  if ('cause' in thrown && needsLocator(thrown.cause, depth + 1)) return true
  const errors = (thrown as Partial<AggregateError>).errors
  return thrown instanceof AggregateError && Array.isArray(errors) && errors.some((e: unknown) => needsLocator(e, depth + 1))
}

/**
 * Resolves when {@link serializeThrown} can describe every class `thrown` carries: `undefined` at
 * once when none needs the locator or it is loaded, else a promise that loads it. Await it where
 * the code may wait (a unit's uncaught error, a pool task's failure).
 */
export function readyToSerialize(thrown: unknown): Promise<void> | undefined {
  let needed: boolean
  try {
    needed = locate === undefined && needsLocator(thrown, 0)
  } catch {
    // A getter or proxy trap that throws: serializeThrown describes what it can without the locator.
    needed = false
  }
  if (!needed) return undefined
  loadLazyModules()
  return import('./locator.js').then(
    (locator) => useLocator(locator.locate),
    () => undefined,
  )
}

const refsOf = new WeakMap<object, readonly ClassRef[]>()
const STACK_FILE = /(?:file:\/\/|\(|\s)(\/[^\s():]+|file:\/\/\/[^\s():]+):\d+:\d+/g

function stackFiles(stack: string | undefined): string[] {
  const files: string[] = []
  for (const match of (stack ?? '').matchAll(STACK_FILE)) {
    const file = match[1] as string
    files.push(file.startsWith('file:') ? file : `file://${file}`)
  }
  return files
}

/** The classes of `error`, most derived first, down to the first built-in one. */
function classRefs(error: Error): readonly ClassRef[] {
  const proto: unknown = Object.getPrototypeOf(error)
  const Class = (proto as { constructor?: unknown } | null)?.constructor
  if (typeof Class !== 'function') return [{ builtin: 'Error' }]
  const cached = refsOf.get(Class)
  if (cached !== undefined) return cached
  const refs: ClassRef[] = []
  let foundModule = false
  for (let C: unknown = Class; typeof C === 'function' && refs.length < 8; C = Object.getPrototypeOf(C)) {
    if (builtinClasses.has(C)) {
      refs.push({ builtin: (C as ErrorClass).name })
      break
    }
    const name = (C as ErrorClass).name
    // Another copy of @conc registered its own class of that name: recognised by its brand.
    if (registeredClasses.has(C) || registered.get(name)?.recognise?.(error) === true) {
      refs.push({ registered: name })
      continue
    }
    if (foundModule || locate === undefined) continue
    const where = locate(C as object, stackFiles(error.stack))
    // A class its module does not export falls back to its nearest exported (or built-in) ancestor.
    if (where !== undefined && where.exported !== false && !where.module.startsWith('node:internal/')) {
      refs.push({ module: where.module, path: where.path, name })
      foundModule = true
    }
  }
  if (refs.length === 0 || !('builtin' in (refs.at(-1) as ClassRef))) refs.push({ builtin: 'Error' })
  // Without the locator a user class was not looked for: do not remember that answer.
  if (locate !== undefined || !refs.some((ref) => 'module' in ref)) refsOf.set(Class, refs)
  return refs
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value)
    return true
  } catch {
    return false
  }
}

/**
 * `String(value)`, or a description when that throws (a null-prototype object, a throwing
 * `toString` or `Symbol.toPrimitive`, a revoked proxy).
 */
function printable(value: unknown): string {
  try {
    return String(value)
  } catch {
    try {
      return Object.prototype.toString.call(value)
    } catch {
      return `[${typeof value}]`
    }
  }
}

/** `read()`, or what a failed read threw, as text. */
function attempt<T>(read: () => T): T | string {
  try {
    return read()
  } catch (error) {
    return `<could not be read: ${printable(error instanceof Error ? error.message : error)}>`
  }
}

/**
 * Turns anything thrown into a plain, cloneable description. It never throws: a property that
 * cannot be cloned travels as its text, one that cannot be read (a getter that throws) as why,
 * so that an error with odd fields still arrives as itself and does not break the unit that
 * reports it.
 */
export function serializeThrown(thrown: unknown, depth = 0): SerializedThrown {
  try {
    return describeThrown(thrown, depth)
  } catch (error) {
    // Only a hostile object gets here (a proxy whose every trap throws, say).
    return { $concValue: 1, value: `a thrown value that could not be described: ${printable(error instanceof Error ? error.message : error)}` }
  }
}

function describeThrown(thrown: unknown, depth: number): SerializedThrown {
  if (!(thrown instanceof Error)) {
    return { $concValue: 1, value: cloneable(thrown) ? thrown : printable(thrown) }
  }
  const props: Record<string, unknown> = {}
  let self: string[] | undefined
  for (const key of Object.keys(thrown)) {
    if (key === 'message' || key === 'stack' || key === 'cause') continue
    const value = attempt(() => (thrown as unknown as Record<string, unknown>)[key])
    // A reference to the error itself arrives as a reference to the rebuilt error, not a copy.
    const marked = attempt(() => swapDeep(value, (v) => (v === thrown ? SELF : v)))
    if (marked !== value) (self ??= []).push(key)
    props[key] = cloneable(marked) ? marked : printable(value)
  }
  const text = (read: () => unknown): string | undefined => {
    const value = attempt(read)
    return value === undefined ? undefined : printable(value)
  }
  const deeper = depth < 8
  const errors = attempt(() => (thrown as Partial<AggregateError>).errors)
  const hasCause = attempt(() => 'cause' in thrown) === true
  const cause = hasCause ? attempt(() => thrown.cause) : undefined
  const serialized: SerializedError = {
    $concError: 1,
    name: text(() => thrown.name) ?? 'Error',
    message: text(() => thrown.message) ?? '',
    stack: text(() => thrown.stack),
    props,
    classes: classRefs(thrown),
    ...(hasCause && cause === thrown ? { selfCause: 1 as const } : hasCause && deeper ? { cause: serializeThrown(cause, depth + 1) } : {}),
    ...(self === undefined ? {} : { self }),
    ...(thrown instanceof AggregateError && Array.isArray(errors) && deeper
      ? { errors: errors.slice(0, 100).map((e: unknown) => serializeThrown(e, depth + 1)) }
      : {}),
  }
  return serialized
}

/** How an uncaught error is printed: the stack when there is one, else `name: message`. */
export function formatThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.stack ?? `${thrown.name}: ${thrown.message}`
  return `Uncaught ${typeof thrown === 'string' ? JSON.stringify(thrown) : String(thrown)}`
}
