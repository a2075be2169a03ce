/**
 * The manager machinery, loaded on first use of a manager (or when a unit receives a proxy):
 * the owner's servers, the links, the host that serves units, and how proxies travel as handles
 * (the protocol of internal/handles.ts: the codec knows no proxy by name).
 */
import '../../sync/internal/travel.js'
// The primitives a manager hands out: a unit that receives one builds it from its registered type.
import '../../sync/barrier.js'
import '../../sync/condition.js'
import '../../sync/event.js'
import '../../sync/lock.js'
import '../../sync/queue.js'
import '../../sync/rlock.js'
import '../../sync/semaphore.js'
import '../../sync/value.js'
import '../../sync/pipe.js'
import { randomUUID } from 'node:crypto'
import type { UnitKind } from '../../backend.js'
import { type HandleDescription, type HandleHost, registerHandleType } from '../../internal/handles.js'
import { setProxyDescriber } from '../proxy.js'
import { attachUnit } from './host.js'
import { ManagedBackend, ownerProxy, resolveHere, resolveToken, servers, setDescribe, useLoaderHooks } from './here.js'
import { OwnerLink, asRemote, channelLink, copyValue } from './links.js'
import { ObjectServer, type TypeEntry } from './object-server.js'
import { type WireToken, tokenOf } from './token.js'
import { kBackend } from '../../sync/internal/shared.js'

export { ManagedArray, ManagedDict, ManagedList, ManagedValue, Namespace } from './referents.js'
export { ManagedPool, functionOf } from './managed-pool.js'
export type { TypeEntry } from './object-server.js'

const TYPE = '@conc/proxy'

const host: HandleHost = { attach: (handle, objects, kind) => attachUnit(handle, objects, kind) }

function describe(object: object, _kind: UnitKind): HandleDescription {
  const token = tokenOf(object)
  if (token === undefined) throw new TypeError('@conc: a proxy without a token')
  return { type: TYPE, module: import.meta.url, data: { $concProxy: 1, ...token } satisfies WireToken, host }
}

setProxyDescriber(describe)
setDescribe(describe)

registerHandleType(TYPE, {
  rebuild(data, context) {
    useLoaderHooks(context.loaderHooks)
    const link = channelLink(context.channel, (token, over) => resolveToken(token, over))
    return resolveToken(data as WireToken, link)
  },
})

/** What a manager object runs on: its own server, or a link to a server elsewhere. */
export interface Core {
  readonly mid: string
  create(typeid: string, args: readonly unknown[]): Promise<object>
  numberOfObjects(): Promise<number>
  shutdown(): Promise<void>
}

/** A manager owned by this isolate. */
export class LocalCore implements Core {
  readonly server: ObjectServer
  constructor(types: ReadonlyMap<string, TypeEntry>) {
    const mid = randomUUID()
    const server: ObjectServer = new ObjectServer(mid, types, (record) => ownerProxy(server, record))
    this.server = server
    servers.set(mid, server)
  }
  get mid(): string {
    return this.server.mid
  }
  async create(typeid: string, args: readonly unknown[]): Promise<object> {
    try {
      const record = await this.server.create(typeid, await copyValue(args, resolveHere))
      return await ownerProxy(this.server, record)
    } catch (error) {
      throw asRemote(error)
    }
  }
  async numberOfObjects(): Promise<number> {
    return this.server.numberOfObjects()
  }
  async shutdown(): Promise<void> {
    this.server.shutdown()
  }
}

/**
 * The object an owner's proxy stands for, in the owner (a managed lock given to `Condition()`
 * there is the lock itself); `undefined` for anything else.
 */
export function referentOf(value: unknown): object | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const backend = (value as { [kBackend]?: unknown })[kBackend]
  const link = backend instanceof ManagedBackend ? backend.link : undefined
  return link instanceof OwnerLink ? link.record.referent : undefined
}
