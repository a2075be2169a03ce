/**
 * Which messages of a process unit travel as JSON (wire-pipe.ts: as lines of text on a pipe beside
 * the IPC channel) rather than through the channel's V8 serialization: small plain ones. Every V8
 * message costs its sender a `v8.Serializer` and its receiver a `v8.Deserializer`, objects V8
 * tracks with weak handles that made every young-generation collection twice as long, and a
 * one-task `p.run` or `p.done` as JSON costs less to write and read (bench/FINDINGS-pools.md,
 * (d) and round 14).
 *
 * JSON is used only when parsing it gives back exactly what V8 would: null, booleans, finite
 * numbers other than -0, strings, dense arrays and plain objects of those, small. Anything else
 * (undefined, NaN, BigInt, Date, Map, typed arrays, errors, class instances, proxies, holes,
 * cycles, big messages) goes through V8.
 */

/**
 * Past this many values or string characters a message goes through V8. JSON wins for a one-task
 * message by about 3×; from a few dozen numbers on they cost the same, and past ~100 V8 is
 * cheaper (batches of a burst stay on V8).
 */
const MAX_NODES = 64
const MAX_CHARS = 8192

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
 * Whether the channel's JSON carries `message` exactly and it is small (wire-pipe.ts sends the rest
 * as V8 bytes). A getter that throws makes it false: V8 reports it as it always did.
 */
export function plainWire(message: unknown): boolean {
  nodes = MAX_NODES
  chars = MAX_CHARS
  try {
    return plain(message, 0)
  } catch {
    return false
  }
}
