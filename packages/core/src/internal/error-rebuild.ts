/**
 * The receiving side of `error-transport.ts`: rebuilds an error as an instance of its class. Built-in
 * and registered classes are at hand; a class referred to by module is imported first
 * ({@link loadErrorClasses}), once, and remembered.
 */
import { BUILTINS, isSelfMark, registeredClass, swapDeep, type ClassRef, type ErrorClass, type Registered, type SerializedThrown } from './error-transport.js'
import { findExport } from './exports.js'
import { ImportTimeout, importModule, importedOnce } from './import-module.js'
import { moduleBinding } from './inspector.js'
import { definedIn } from './known-modules.js'

/** Classes found by module reference: the class, or `null` when that module does not export it. */
const loaded = new Map<string, ErrorClass | null>()
/** How long a class's module may take to import before the error falls back to an ancestor. */
const IMPORT_TIMEOUT_MS = 2000

const keyOf = (ref: { module: string; path: readonly string[] | undefined; name: string }): string =>
  `${ref.module}#${ref.path?.join('.') ?? ref.name}`

function isErrorClass(value: unknown, name: string): value is ErrorClass {
  return typeof value === 'function' && value.name === name && (value as { prototype?: unknown }).prototype instanceof Error
}

function findClass(ns: Record<string, unknown>, ref: { path: readonly string[] | undefined; name: string }): ErrorClass | undefined {
  return findExport(ns, { path: ref.path, name: ref.name, accept: (value) => isErrorClass(value, ref.name) }) as ErrorClass | undefined
}

/** The refs of `serialized` and of the errors it carries, to the depth it was serialized. */
function* moduleRefs(serialized: SerializedThrown): Generator<Extract<ClassRef, { module: string }>> {
  if (!('$concError' in serialized)) return
  for (const ref of serialized.classes ?? []) {
    if ('module' in ref) yield ref
    else break // an ancestor that needs no import: the classes before it are all that may load
  }
  if (serialized.cause !== undefined) yield* moduleRefs(serialized.cause)
  for (const error of serialized.errors ?? []) yield* moduleRefs(error)
}

/** Modules whose import did not finish in time: later errors do not wait for them again. */
const late = new Set<string>()

function found(ref: Extract<ClassRef, { module: string }>, ns: Record<string, unknown> | null): void {
  loaded.set(keyOf(ref), ns === null ? null : (findClass(ns, ref) ?? null))
}

/** Imports the class's module once (a failed import is not tried again), waiting at most IMPORT_TIMEOUT_MS. */
async function load(ref: Extract<ClassRef, { module: string }>): Promise<void> {
  if (late.has(ref.module)) return
  try {
    found(ref, await importModule(ref.module, { once: true, timeoutMs: IMPORT_TIMEOUT_MS }))
  } catch (error) {
    if (error instanceof ImportTimeout) late.add(ref.module)
    else found(ref, null)
  }
}

/**
 * Makes the classes `serialized` needs available to {@link deserializeThrown}: `undefined` when
 * they already are (built-in, registered, or found before), else a promise that resolves once they
 * are imported (or found missing). It never rejects. Callers wait for it only when it is there, so
 * the usual path stays synchronous.
 */
export function loadErrorClasses(serialized: SerializedThrown): Promise<void> | undefined {
  let pending: Promise<void>[] | undefined
  for (const ref of moduleRefs(serialized)) {
    const key = keyOf(ref)
    if (loaded.has(key)) continue
    const ns = importedOnce(ref.module)
    if (ns !== undefined) {
      found(ref, ns)
      continue
    }
    // Exported (the sender saw it in the namespace) from a module this program has a function of:
    // read the binding through that function, with no import. This also works while the module
    // is still being evaluated (the entry, paused at a top-level await that waits for this error),
    // where an import would not finish.
    const anchor = ref.path === undefined ? undefined : definedIn(ref.module)
    const bound = anchor === undefined ? undefined : moduleBinding(anchor, ref.name)
    if (isErrorClass(bound, ref.name)) loaded.set(key, bound)
    else (pending ??= []).push(load(ref))
  }
  return pending === undefined ? undefined : Promise.all(pending).then(() => undefined)
}

/** Handles one event of a channel: `handle(a, b)`, so that a caller need not allocate a closure per event. */
export type Deliver = <A = undefined, B = undefined>(errors: readonly SerializedThrown[] | undefined, handle: (a: A, b: B) => void, a?: A, b?: B) => void

/**
 * Keeps a channel's events in arrival order while some of them wait for error classes: `deliver`
 * runs `handle(a, b)` at once unless `errors` need a class imported, or an earlier event still
 * waits; then it runs after both. One per channel (a unit's messages and its exit).
 */
export function inArrivalOrder(): Deliver {
  let tail: Promise<void> | undefined
  return (errors, handle, a, b) => {
    let loading: Promise<void>[] | undefined
    if (errors !== undefined) {
      for (const error of errors) {
        const classes = loadErrorClasses(error)
        if (classes !== undefined) (loading ??= []).push(classes)
      }
    }
    if (tail === undefined && loading === undefined) return handle(a as never, b as never)
    const next: Promise<void> = Promise.all([tail, ...(loading ?? [])])
      .then(() => handle(a as never, b as never))
      .catch((error: unknown) => {
        // A handler that throws fails as it would have when called directly: uncaught.
        process.nextTick(() => {
          throw error
        })
      })
    tail = next
    void next.then(() => {
      if (tail === next) tail = undefined
    })
  }
}

function define(target: object, key: PropertyKey, value: unknown, enumerable = false): void {
  const existing = Object.getOwnPropertyDescriptor(target, key)
  if (existing !== undefined && !existing.configurable) return
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable })
}

/** The first class of `refs` that is known here. */
function pick(refs: readonly ClassRef[]): { Class: ErrorClass; entry?: Registered | undefined; builtin: boolean } {
  for (const ref of refs) {
    if ('builtin' in ref) {
      const Class = BUILTINS.get(ref.builtin)
      if (Class !== undefined) return { Class, builtin: true }
    } else if ('registered' in ref) {
      const entry = registeredClass(ref.registered)
      if (entry !== undefined) return { Class: entry.Class, entry, builtin: false }
    } else {
      const Class = loaded.get(keyOf(ref))
      if (Class !== undefined && Class !== null) return { Class, builtin: false }
    }
  }
  return { Class: Error, builtin: true }
}

/**
 * Rebuilds what {@link serializeThrown} described, as an instance of the same class when it is
 * known here (call {@link loadErrorClasses} first for classes that need an import), with the
 * remote `name`, `message`, `stack`, `cause`, `errors` and own properties.
 */
export function deserializeThrown(serialized: SerializedThrown): unknown {
  if ('$concValue' in serialized) return serialized.value
  // Errors from a sender that did not describe classes: the built-in of that name, else Error.
  const refs = serialized.classes ?? [{ builtin: serialized.name }]
  const { Class, entry, builtin } = pick(refs)
  const errors = serialized.errors?.map(deserializeThrown)
  let error: Error
  if (builtin) {
    // Built-ins are made by their constructor: a DOMException has internal slots.
    if (Class === AggregateError) error = new AggregateError(errors ?? [], serialized.message)
    else if (Class === globalThis.DOMException) error = new DOMException(serialized.message, serialized.name)
    else error = new (Class as ErrorConstructor)(serialized.message)
  } else {
    error = Object.create(Class.prototype as object) as Error
    define(error, 'message', serialized.message)
  }
  if (error.name !== serialized.name) define(error, 'name', serialized.name)
  define(error, 'stack', serialized.stack)
  if (serialized.cause !== undefined) define(error, 'cause', deserializeThrown(serialized.cause))
  else if (serialized.selfCause === 1) define(error, 'cause', error)
  if (errors !== undefined && !(error instanceof AggregateError && builtin)) define(error, 'errors', errors)
  const props = serialized.self === undefined ? serialized.props : withSelf(serialized.props, serialized.self, error)
  entry?.restore?.(error, props)
  for (const [key, value] of Object.entries(props)) define(error, key, value, true)
  return error
}

/** `props` with the marks of the error itself under `keys` replaced by `error`, copied where changed. */
function withSelf(props: Record<string, unknown>, keys: readonly string[], error: Error): Record<string, unknown> {
  const out = { ...props }
  for (const key of keys) out[key] = swapDeep(out[key], (v) => (isSelfMark(v) ? error : v))
  return out
}

