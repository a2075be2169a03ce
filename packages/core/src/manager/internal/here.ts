/**
 * What this isolate knows of managed objects: the managers it owns (their servers), and the
 * proxies it made for objects of managers owned elsewhere, one per object. A token that arrives
 * becomes that proxy; when the proxy is collected, the link it came over is told how many times
 * it received the token (a counted `decref`), so the server can let the object go.
 */
import type { UnitKind } from '../../backend.js'
import type { HandleDescription, RebuildContext } from '../../internal/handles.js'
import { importModule } from '../../internal/import-module.js'
import type { UnitChannel } from '../../unit.js'
import { type Backend, type CallContext, type Primitive, type SharedState, kBackend } from '../../sync/internal/shared.js'
import { buildPrimitive } from '../../sync/internal/travel.js'
import { BaseProxy, kLink, localProxyClasses } from '../proxy.js'
import { BUILTIN_PROXIES } from '../proxies.js'
import { type Link, type MessageLink, OwnerLink } from './links.js'
import { Fault, type ObjectServer, type ManagedObject } from './object-server.js'
import { type Token, type WireToken, kToken, tokenKey } from './token.js'
import { fromWire } from './wire.js'

/** The managers this isolate owns, by id (a shut-down one stays, to say so). */
export const servers = new Map<string, ObjectServer>()

interface Entry {
  readonly token: Token
  readonly ref: WeakRef<object>
  /** Times the token arrived over each link: given back with the decref. */
  readonly counts: Map<Link, number>
}

const proxies = new Map<string, Entry>()
const building = new Map<string, Promise<object>>()
const released = new FinalizationRegistry<Entry>((entry) => {
  const key = tokenKey(entry.token.mid, entry.token.id)
  if (proxies.get(key) === entry) proxies.delete(key)
  for (const [link, n] of entry.counts) link.decref(entry.token.mid, entry.token.id, n)
})

let loaderHooks: readonly string[] = []

/** Loader hooks (tsx) to register before importing a proxy class's module. */
export function useLoaderHooks(hooks: readonly string[]): void {
  if (hooks.length > 0) loaderHooks = hooks
}

type Describe = (object: object, kind: UnitKind) => HandleDescription
let describeHook: Describe | undefined

/** @internal Set by runtime.ts: how proxies travel to units. */
export function setDescribe(describe: Describe): void {
  describeHook = describe
}

/** The backend of a managed primitive: its operations are calls to the manager. */
export class ManagedBackend implements Backend {
  readonly state: SharedState | undefined = undefined
  constructor(
    readonly token: Token,
    readonly link: Link,
  ) {}
  call(op: string, args: readonly unknown[], ctx?: CallContext): Promise<unknown> {
    return this.link.op(this.token, op, args, ctx)
  }
  describe(primitive: Primitive, kind: UnitKind): HandleDescription {
    if (describeHook === undefined) throw new TypeError('@conc: the manager runtime is not loaded')
    return describeHook(primitive, kind)
  }
}

type ProxyClass = new (token: Token, link: Link) => BaseProxy

const autoClasses = new Map<string, ProxyClass>()
/** Names a proxy has of its own: an exposed method of the same name is reached with callMethod(). */
const RESERVED = new Set(['constructor', 'callMethod', 'getValue', 'repr', 'toString', 'typeid', 'then'])

/** Python's `MakeProxyType`: a proxy class with one method per exposed name. */
function autoProxyClass(token: Token): ProxyClass {
  const key = `${token.typeid}\0${token.exposed.join('\0')}`
  let Class = autoClasses.get(key)
  if (Class === undefined) {
    const made = class extends BaseProxy {}
    Object.defineProperty(made, 'name', { value: `AutoProxy[${token.typeid}]` })
    for (const name of token.exposed) {
      if (RESERVED.has(name)) continue
      Object.defineProperty(made.prototype, name, {
        value: function (this: BaseProxy, ...args: unknown[]) {
          return this.callMethod(name, args)
        },
        writable: true,
        configurable: true,
      })
    }
    Class = made
    autoClasses.set(key, Class)
  }
  return Class
}

const userClasses = new Map<string, Promise<ProxyClass>>()

/** The user's proxy class, imported by reference (it must be exported, like a target). */
function userClass(module: string, exportName: string): Promise<ProxyClass> {
  const key = `${module}#${exportName}`
  let found = userClasses.get(key)
  const local = localProxyClasses.get(key)
  if (found === undefined && local !== undefined) {
    found = Promise.resolve(local as unknown as ProxyClass)
    userClasses.set(key, found)
  }
  if (found === undefined) {
    found = importModule(module, { loaderHooks }).then((ns) => {
      const Class = ns[exportName]
      if (typeof Class !== 'function' || !((Class as { prototype?: unknown }).prototype instanceof BaseProxy)) {
        throw new TypeError(`${module} exports no proxy class '${exportName}' (a subclass of BaseProxy): export the proxytype given to register()`)
      }
      return Class as ProxyClass
    })
    userClasses.set(key, found)
  }
  return found
}

/** Makes the proxy for `token`, calling through `link`. */
async function makeProxy(token: Token, link: Link): Promise<object> {
  const kind = token.proxy
  switch (kind.k) {
    case 'builtin': {
      const Class = BUILTIN_PROXIES.get(kind.name)
      if (Class === undefined) throw new TypeError(`@conc: no built-in proxy class ${kind.name}`)
      return new Class(token, link)
    }
    case 'auto':
      return new (autoProxyClass(token))(token, link)
    case 'class':
      return new (await userClass(kind.module, kind.exportName))(token, link)
    case 'primitive': {
      // What the primitive holds (a condition's lock) arrives as tokens: proxies to them here.
      const meta = await fromWire(structuredClone(kind.meta), (inner) => resolveToken(inner, link))
      const context = { channel: undefined as unknown as UnitChannel, loaderHooks } satisfies RebuildContext
      const primitive = await buildPrimitive(kind.type, (meta ?? {}) as { [key: string]: unknown }, context, new ManagedBackend(token, link))
      Object.defineProperty(primitive, kToken, { value: token })
      return primitive
    }
  }
}

/** The owner's own proxy to one of its records. */
export async function ownerProxy(server: ObjectServer, record: ManagedObject): Promise<object> {
  const known = record.proxy?.deref()
  if (known !== undefined) return known
  const key = `owner:${tokenKey(record.token.mid, record.token.id)}`
  let pending = building.get(key)
  if (pending === undefined) {
    pending = makeProxy(record.token, new OwnerLink(server, record, resolveHere)).then((proxy) => {
      record.proxy = new WeakRef(proxy)
      return proxy
    })
    building.set(key, pending)
    const forget = (): void => void building.delete(key)
    pending.then(forget, forget)
  }
  return pending
}

/** A token that arrived over `link` (a reply, a unit's args): this isolate's proxy for it. */
export async function resolveToken(token: WireToken, link: Link): Promise<object> {
  const server = servers.get(token.mid)
  if (server !== undefined) return ownerProxy(server, server.record(token.id))
  const key = tokenKey(token.mid, token.id)
  const entry = proxies.get(key)
  let known = entry?.ref.deref()
  // A proxy whose link is gone (a closed connection to a remote manager) is not reused: the token
  // came over a live link (another connection to the same server), so a proxy over it is made.
  if (known !== undefined && isLost(linkOf(known))) known = undefined
  if (entry !== undefined && known !== undefined) {
    entry.counts.set(link, (entry.counts.get(link) ?? 0) + 1)
    return known
  }
  let pending = building.get(key)
  if (pending === undefined) {
    const { $concProxy: _, ...plain } = token
    pending = makeProxy(plain, link)
    building.set(key, pending)
    const forget = (): void => void building.delete(key)
    pending.then(forget, forget)
    const proxy = await pending
    const made: Entry = { token: plain, ref: new WeakRef(proxy), counts: new Map([[link, 1]]) }
    proxies.set(key, made)
    released.register(proxy, made)
    return proxy
  }
  // Another arrival of the token while its proxy was being made: counted on that proxy's entry.
  const proxy = await pending
  const made = proxies.get(key)
  made?.counts.set(link, (made.counts.get(link) ?? 0) + 1)
  return proxy
}

/** Resolves tokens that arrived over a message link. */
export const resolveUpstream = (token: WireToken, link: MessageLink): Promise<object> => resolveToken(token, link)

/**
 * A token a caller sent back (in the arguments of a call): the object it stands for here, which
 * this isolate has (it gave the caller the token).
 */
export function resolveHere(token: WireToken): object | Promise<object> {
  const server = servers.get(token.mid)
  if (server !== undefined) return ownerProxy(server, server.record(token.id))
  const known = proxies.get(tokenKey(token.mid, token.id))?.ref.deref()
  if (known === undefined) throw new Fault(`a proxy to object ${token.id} of manager ${token.mid} cannot be used here: this isolate has no link to that manager`)
  return known
}

/** What serves (mid, id) here: a record of a manager owned here, or a proxy to forward through. */
export type Target =
  | { readonly kind: 'owned'; readonly server: ObjectServer; readonly record: ManagedObject | undefined }
  | { readonly kind: 'forward'; readonly object: object; readonly link: Link }

const managerLinks = new Map<string, Link>()

/** Calls to manager `mid` itself (id 0) can be forwarded over `link` (a unit's or a client's manager). */
export function knowManager(mid: string, link: Link): void {
  managerLinks.set(mid, link)
}

/** `link` to manager `mid` is gone (a connection closed). */
export function forgetManager(mid: string, link: Link): void {
  if (managerLinks.get(mid) === link) managerLinks.delete(mid)
}

const isLost = (link: Link | undefined): boolean => (link as { readonly lost?: boolean } | undefined)?.lost === true

export function lookup(mid: string, id: number): Target {
  const server = servers.get(mid)
  if (server !== undefined) return { kind: 'owned', server, record: id === 0 ? undefined : server.record(id) }
  if (id === 0) {
    const link = managerLinks.get(mid)
    if (link !== undefined) return { kind: 'forward', object: link, link }
  } else {
    const object = proxies.get(tokenKey(mid, id))?.ref.deref()
    const link = object === undefined ? undefined : linkOf(object)
    if (object !== undefined && link !== undefined) return { kind: 'forward', object, link }
  }
  throw new Fault(`no object ${id} of manager ${mid} is known here`)
}

/** The link a proxy (or a managed primitive) calls through. */
export function linkOf(object: object): Link | undefined {
  if (object instanceof BaseProxy) return object[kLink] as Link
  const backend = (object as { [kBackend]?: unknown })[kBackend]
  return backend instanceof ManagedBackend ? backend.link : undefined
}
