/**
 * One way for errors to cross a boundary, used by every backend. Structured clone and V8
 * serialization keep an `Error`'s message and stack but drop its class, custom `name` and own
 * properties; here they are carried explicitly and rebuilt on arrival.
 */

export interface SerializedError {
  readonly $concError: 1
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
  readonly cause?: SerializedThrown
  readonly props: Record<string, unknown>
}

/** What a `throw` can carry: an error, or any other value (Python cannot throw those; JS can). */
export type SerializedThrown = SerializedError | { readonly $concValue: 1; readonly value: unknown }

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value)
    return true
  } catch {
    return false
  }
}

/** Turns anything thrown into a plain, cloneable description. */
export function serializeThrown(thrown: unknown, depth = 0): SerializedThrown {
  if (!(thrown instanceof Error)) {
    return { $concValue: 1, value: cloneable(thrown) ? thrown : String(thrown) }
  }
  const props: Record<string, unknown> = {}
  for (const key of Object.keys(thrown)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue
    const value = (thrown as unknown as Record<string, unknown>)[key]
    props[key] = cloneable(value) ? value : String(value)
  }
  const serialized: SerializedError = {
    $concError: 1,
    name: thrown.name,
    message: thrown.message,
    stack: thrown.stack,
    props,
    ...('cause' in thrown && depth < 8 ? { cause: serializeThrown(thrown.cause, depth + 1) } : {}),
  }
  return serialized
}

/**
 * Rebuilds what {@link serializeThrown} described: an `Error` of the same builtin class when there
 * is one (so `instanceof TypeError` still works), with the remote `name`, `message`, `stack`,
 * `cause` and own properties.
 */
export function deserializeThrown(serialized: SerializedThrown): unknown {
  if ('$concValue' in serialized) return serialized.value
  const Ctor = BUILTIN_ERRORS[serialized.name] ?? Error
  const error = new Ctor(serialized.message)
  if (error.name !== serialized.name) {
    Object.defineProperty(error, 'name', { value: serialized.name, writable: true, configurable: true })
  }
  Object.defineProperty(error, 'stack', { value: serialized.stack, writable: true, configurable: true })
  if (serialized.cause !== undefined) {
    Object.defineProperty(error, 'cause', {
      value: deserializeThrown(serialized.cause),
      writable: true,
      configurable: true,
    })
  }
  Object.assign(error, serialized.props)
  return error
}

/** How an uncaught error is printed: the stack when there is one, else `name: message`. */
export function formatThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.stack ?? `${thrown.name}: ${thrown.message}`
  return `Uncaught ${typeof thrown === 'string' ? JSON.stringify(thrown) : String(thrown)}`
}
