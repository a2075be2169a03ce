/**
 * The messages between a proxy and the isolate that serves it (the manager's owner, or a unit
 * that forwards for its children), on a unit channel or a socket, and how values cross in them:
 * every proxy inside a value travels as its token and is rebuilt as a proxy on arrival (nested
 * proxies, Python 3.6+); anything else is left to the transport (a copy, as a pickle is).
 */
import type { SerializedThrown } from '../../internal/error-transport.js'
import { isHandle } from '../../internal/handles.js'
import { ARRAY, LEAF, MAP, OBJECT, SET, findHandle, shapeOf } from '../../internal/shared-codec.js'
import { RuntimeError } from '../../errors.js'
import { type Token, type WireToken, isWireToken, tokenOf } from './token.js'

/** A request: call `name` on object `id` of manager `mid` (id 0: the manager itself). */
export interface CallMessage {
  readonly t: 'mgr.call'
  readonly rid: number
  readonly mid: string
  readonly id: number
  readonly name: string
  readonly args: readonly unknown[]
  /** `args` carry tokens. */
  readonly p?: 1 | undefined
  /** An operation of a managed primitive (`acquire`, `put`…), not a method call. */
  readonly op?: 1 | undefined
  /** The owner a primitive operation acts for, below the peer that sent it (a forwarded request). */
  readonly owner?: string | undefined
}

export type ReplyBody =
  | { readonly ok: true; readonly value: unknown; readonly p?: 1 | undefined; readonly ack?: 1 | undefined }
  /** `remote`: an error of the manager itself (the caller raises `RemoteError`), not of the referent. */
  | { readonly ok: false; readonly error: SerializedThrown; readonly remote?: 1 | undefined }

export type ReplyMessage = { readonly t: 'mgr.reply'; readonly rid: number } & ReplyBody

/** The caller gave up waiting (an `AbortSignal`). */
export interface CancelMessage {
  readonly t: 'mgr.cancel'
  readonly rid: number
}

/** An item handed over (a queue's `get`) was received (`ack`) or must go back (`nack`). */
export interface AckMessage {
  readonly t: 'mgr.ack' | 'mgr.nack'
  readonly rid: number
}

/** The peer dropped its proxy to the object after receiving its token `n` times. */
export interface DecrefMessage {
  readonly t: 'mgr.decref'
  readonly mid: string
  readonly id: number
  readonly n: number
}

export type ClientMessage = CallMessage | CancelMessage | AckMessage | DecrefMessage

const CLIENT_TAGS = new Set(['mgr.call', 'mgr.cancel', 'mgr.ack', 'mgr.nack', 'mgr.decref'])

export function isClientMessage(message: { readonly t: string }): message is ClientMessage {
  return CLIENT_TAGS.has(message.t)
}

// --- values ------------------------------------------------------------------------------------

// How structured clone copies a value (member by member, or as a whole): shared-codec's shapeOf.

function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

export interface Outgoing {
  readonly value: unknown
  /** The tokens it carries (each once), in the order met. */
  readonly tokens: readonly Token[]
}

const NONE: readonly Token[] = []

/**
 * Replaces every proxy inside `value` by its token. A value without proxies is returned as it is.
 *
 * @throws {RuntimeError} for a primitive that is not managed: it reaches units through their
 *   arguments, not inside managed objects (create it with the manager instead)
 */
export function toWire(value: unknown): Outgoing {
  if (findHandle(value) === undefined) return { value, tokens: NONE }
  const memo = new Map<object, unknown>()
  const tokens: Token[] = []
  const seen = new Set<Token>()
  const walk = (item: unknown): unknown => {
    if (typeof item !== 'object' || item === null) return item
    const known = memo.get(item)
    if (known !== undefined) return known
    const token = tokenOf(item)
    if (token !== undefined) {
      const wire: WireToken = { $concProxy: 1, ...token }
      memo.set(item, wire)
      if (!seen.has(token)) {
        seen.add(token)
        tokens.push(token)
      }
      return wire
    }
    if (isHandle(item)) {
      const name = (item as object).constructor.name
      throw new RuntimeError(
        `${name} objects cannot be stored in or sent through a managed object: create it with the manager (manager.${name}()), or pass it to units in their args`,
      )
    }
    switch (shapeOf(item)) {
      case ARRAY: {
        const list = item as readonly unknown[]
        const out = new Array<unknown>(list.length)
        memo.set(item, out)
        for (let i = 0; i < list.length; i++) if (i in list) out[i] = walk(list[i])
        return out
      }
      case OBJECT: {
        const record = item as Record<string, unknown>
        const out: Record<string, unknown> = {}
        memo.set(item, out)
        for (const key of Object.keys(record)) put(out, key, walk(record[key]))
        return out
      }
      case MAP: {
        const out = new Map<unknown, unknown>()
        memo.set(item, out)
        for (const [key, entry] of item as Map<unknown, unknown>) out.set(walk(key), walk(entry))
        return out
      }
      case SET: {
        const out = new Set<unknown>()
        memo.set(item, out)
        for (const entry of item as Set<unknown>) out.add(walk(entry))
        return out
      }
      default:
        return item
    }
  }
  return { value: walk(value), tokens }
}

/** Turns a token that arrived into the proxy (or the object) it stands for here. */
export type Resolve = (token: WireToken) => object | Promise<object>

/**
 * Rebuilds the proxies inside `value` (what arrived: a fresh copy, decoded in place), each token
 * through `resolve`. A token's own data (a managed condition's lock) is decoded first.
 */
export async function fromWire<T>(value: T, resolve: Resolve): Promise<T> {
  const seen = new Set<object>()
  const built = new Map<object, Promise<object>>()
  const decode = async (item: unknown): Promise<unknown> => {
    if (typeof item !== 'object' || item === null) return item
    if (isWireToken(item)) {
      let proxy = built.get(item)
      if (proxy === undefined) {
        proxy = (async () => {
          if (item.proxy.k === 'primitive') await decode(item.proxy.meta)
          return resolve(item)
        })()
        built.set(item, proxy)
      }
      return proxy
    }
    if (seen.has(item)) return item
    seen.add(item)
    switch (shapeOf(item)) {
      case ARRAY: {
        const list = item as unknown[]
        for (let i = 0; i < list.length; i++) {
          const entry = list[i]
          if (typeof entry === 'object' && entry !== null) {
            const decoded = await decode(entry)
            if (decoded !== entry) list[i] = decoded
          }
        }
        break
      }
      case OBJECT: {
        const record = item as Record<string, unknown>
        for (const key of Object.keys(record)) {
          const entry = record[key]
          if (typeof entry === 'object' && entry !== null) {
            const decoded = await decode(entry)
            if (decoded !== entry) put(record, key, decoded)
          }
        }
        break
      }
      case MAP: {
        const map = item as Map<unknown, unknown>
        const entries: [unknown, unknown][] = []
        for (const [key, entry] of map) entries.push([await decode(key), await decode(entry)])
        map.clear()
        for (const [key, entry] of entries) map.set(key, entry)
        break
      }
      case SET: {
        const set = item as Set<unknown>
        const entries: unknown[] = []
        for (const entry of set) entries.push(await decode(entry))
        set.clear()
        for (const entry of entries) set.add(entry)
        break
      }
    }
    return item
  }
  return (await decode(value)) as T
}
