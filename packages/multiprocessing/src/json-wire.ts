/**
 * Small plain messages cross the IPC channel as JSON text. The channel serializes with V8
 * (`serialization: 'advanced'`, for everything JSON cannot carry), and a V8-serialized object
 * message costs more than its JSON text sent as one string and parsed on the other side: a pool's
 * one-task `p.run` and its `p.done` take 6–8 µs less a round trip (bench/FINDINGS-pools.md, (d)).
 *
 * The text is used only when parsing it gives back exactly what V8 would: null, booleans, finite
 * numbers other than -0, strings, dense arrays and plain objects of those, small. Anything else
 * (undefined, NaN, BigInt, Date, Map, typed arrays, errors, class instances, proxies, holes,
 * cycles, big messages) goes as before, through V8.
 */

/**
 * Past this many values or string characters a message goes through V8. JSON wins for a one-task
 * message by about 3×; from a few dozen numbers on they cost the same, and past ~100 V8 is
 * cheaper (batches of a burst stay on V8).
 */
const MAX_NODES = 64
const MAX_CHARS = 8192

/** How a message sent as JSON text begins: every wire message is an object whose first key is `t`. */
const PREFIX = '{"t":"'

let isProxy: ((value: unknown) => boolean) | undefined

/** Values and characters left before a message is too big for the JSON path. */
let nodes = 0
let chars = 0

function plain(value: unknown, depth: number): boolean {
  if (--nodes < 0) return false
  switch (typeof value) {
    case 'string':
      chars -= value.length
      return chars >= 0
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    case 'boolean':
      return true
    case 'object':
      break
    default:
      // undefined, bigint, symbol, function
      return false
  }
  if (value === null) return true
  // Deep values are cycles, or big: V8 handles both.
  if (depth > 16) return false
  isProxy ??= process.getBuiltinModule('node:util/types').isProxy
  if (isProxy(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Array.prototype) {
    const items = value as unknown[]
    const n = items.length
    // A big batch: declined before walking it.
    if (n > nodes) return false
    // Holes read as undefined and are refused; named properties on an array V8 keeps, JSON drops.
    if (Object.keys(items).length !== n) return false
    for (let i = 0; i < n; i++) if (!plain(items[i], depth + 1)) return false
    return true
  }
  if (proto !== Object.prototype && proto !== null) return false
  const record = value as Record<string, unknown>
  for (const key in record) {
    if (!Object.hasOwn(record, key)) return false
    chars -= key.length
    if (!plain(record[key], depth + 1)) return false
  }
  return true
}

/**
 * `message` as JSON text when that round-trips it exactly and it is small; else `message` itself.
 * The `t` key must come first (wire messages are written so).
 */
export function encodeWire<T extends { readonly t: string }>(message: T): T | string {
  nodes = MAX_NODES
  chars = MAX_CHARS
  try {
    if (!plain(message, 0)) return message
  } catch {
    // A getter threw: let V8 report it as it always did.
    return message
  }
  const text = JSON.stringify(message)
  return text.startsWith(PREFIX) ? text : message
}

/**
 * What `encodeWire` sent, decoded; `undefined` for anything else (a string some user code sent on
 * the channel is not a wire message).
 */
export function decodeWire(message: string): unknown {
  if (!message.startsWith(PREFIX)) return undefined
  try {
    return JSON.parse(message)
  } catch {
    return undefined
  }
}
