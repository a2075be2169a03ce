/**
 * How the primitives travel to units, as handles (the protocol of `internal/handles.ts`):
 *
 * - to a thread, as the state's `SharedArrayBuffer`s, rebuilt over the same memory;
 * - to a process, as an id this isolate's server (server.ts) serves it under; the child gets a
 *   proxy whose operations are requests to the owner.
 *
 * Each primitive's module registers its types here ({@link registerPrimitive}): the codec in
 * `internal/` knows none of them, and a unit loads a primitive's module only when it receives one.
 */
import type { UnitKind } from '../../backend.js'
import { ConcTypeError } from '../../errors.js'
import { addSettle } from '../../internal/context.js'
import { type HandleDescription, type HandleHost, type RebuildContext, registerHandleType } from '../../internal/handles.js'
import { RemoteBackend, clientFor, currentClient, pauseFresh, resumeFresh } from './client.js'
import { attach, queued, recovered, register, release } from './server.js'
import { type Backend, LocalBackend, type Primitive, type SharedState, adopt, kBackend, kDescribe, setHandleDescriber } from './shared.js'
import { releaseWaits } from './wait.js'

/** What travels for a primitive (the `data` of its handle description). */
interface Travel {
  /** From `[kDescribe]`: what the public object is rebuilt from (may hold other primitives). */
  readonly meta: unknown
  /** To a thread: the state's shared memory. */
  readonly shared?: unknown
  /** To a process: the id the owner serves it under. */
  readonly remote?: number
}

/** How a registered primitive type is rebuilt in a unit. */
export interface PrimitiveType {
  /** The state over the shared memory a thread received. */
  state(shared: unknown, meta: Record<string, unknown>): SharedState
  /**
   * Returns the function that makes the public object; it is called inside `adopt()`, so the
   * object's constructor takes the given backend. May first resolve what it needs (a barrier's
   * action).
   */
  build(meta: Record<string, unknown>, context: RebuildContext): (() => Primitive) | Promise<() => Primitive>
  /**
   * Each message gets a public object of its own (a pipe end: each task's copy closes on its
   * own), instead of the one proxy per primitive a child process keeps.
   */
  readonly perMessage?: boolean | undefined
}

const modules = new Map<string, string>()
const builders = new Map<string, PrimitiveType['build']>()

/**
 * In a child process: one proxy per primitive of the parent while the proxy is alive, however
 * many messages carry it. Held weakly: a pool worker is given a new primitive with each task, and
 * the proxies of finished tasks must not pile up.
 */
const proxies = new Map<number, WeakRef<Primitive>>()
const forgetProxy = new FinalizationRegistry<number>((id) => {
  if (proxies.get(id)?.deref() === undefined) proxies.delete(id)
})
/**
 * How many live messages (runner args, initargs, running tasks) carry each proxy. A Value's copy
 * is refreshed on every acquire only while some do (see client.ts).
 */
const leases = new Map<Primitive, number>()

/** The owner serves what it sent to a process and recovers what it sent to any unit. */
const host: HandleHost = {
  attach: (handle, objects, kind) => attach(handle, objects as Primitive[], kind),
  release: (handle, objects) => release(handle, objects as Primitive[]),
  queued: (objects, delta) => queued(objects as Primitive[], delta),
}

/** One more live message carries `proxy`; a copy paused meanwhile is brought up to date. */
async function lease(proxy: Primitive): Promise<void> {
  const count = leases.get(proxy) ?? 0
  leases.set(proxy, count + 1)
  if (count === 0) await resumeFresh(proxy)
}

/**
 * Registers how primitives of `type` travel: `module` is the registering module's
 * `import.meta.url`, which a unit imports when it first meets the type.
 */
export function registerPrimitive(type: string, module: string, how: PrimitiveType): void {
  modules.set(type, module)
  builders.set(type, how.build)
  registerHandleType(type, {
    async rebuild(data, rebuildContext) {
      const { meta, shared, remote } = data as Travel
      const cached = remote !== undefined && how.perMessage !== true
      const known = cached ? proxies.get(remote)?.deref() : undefined
      if (known !== undefined) {
        await lease(known)
        return known
      }
      const record = (meta ?? {}) as Record<string, unknown>
      const backend: Backend =
        remote !== undefined ? new RemoteBackend(clientFor(rebuildContext.channel), remote) : new LocalBackend(how.state(shared, record))
      // What the constructor needs is resolved first: adopt() hands the backend to the very next constructor.
      const make = await how.build(record, rebuildContext)
      const object = adopt(backend, make)
      if (cached) {
        proxies.set(remote, new WeakRef(object))
        forgetProxy.register(object, remote)
        leases.set(object, 1)
      }
      return object
    },
    release(object) {
      const count = leases.get(object as Primitive)
      if (count === undefined) return
      if (count > 1) return void leases.set(object as Primitive, count - 1)
      leases.delete(object as Primitive)
      pauseFresh(object)
    },
  })
}

/**
 * Builds the public object of a primitive of `type` over `backend` (a manager's proxy builds a
 * `Lock` whose operations go to the manager): the same class, checks and messages.
 */
export async function buildPrimitive(type: string, meta: Record<string, unknown>, context: RebuildContext, backend: Backend): Promise<Primitive> {
  const build = builders.get(type)
  if (build === undefined) throw new TypeError(`@conc: the primitive type ${type} was not registered`)
  const make = await build(meta, context)
  return adopt(backend, make)
}

function describe(primitive: Primitive, kind: UnitKind): HandleDescription {
  const own = primitive[kBackend].describe
  if (own !== undefined) return own.call(primitive[kBackend], primitive, kind)
  const { type, meta } = primitive[kDescribe](kind)
  const module = modules.get(type)
  if (module === undefined) throw new TypeError(`@conc: the primitive type ${type} was not registered`)
  if (kind === 'process') return { type, module, data: { meta, remote: register(primitive) } satisfies Travel, host }
  const state = primitive[kBackend].state
  if (state === undefined) {
    throw new ConcTypeError(`a ${type} received from a parent process cannot be passed on to a thread; create it in this process, or pass it to a Process`, {
      code: 'ERR_CONC_DATA_CLONE',
    })
  }
  return { type, module, data: { meta, shared: state.toShared() } satisfies Travel, host }
}

setHandleDescriber(describe)

/**
 * Waits until the operations this unit did not wait for (a `Value` write, a `put`) were applied,
 * and the primitives of its own children that ended were recovered (through this unit's parent
 * when they are the parent's).
 */
export async function settleShared(): Promise<void> {
  await recovered()
  await currentClient()?.settle()
  releaseWaits()
}

// Primitives are loaded in this isolate: the unit runtime must settle them before the unit ends.
addSettle(settleShared)
