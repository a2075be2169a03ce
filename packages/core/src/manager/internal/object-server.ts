/**
 * The objects of one manager, in the isolate that owns it (Python's `Server`, without a process
 * of its own): each has an id, its referent, the methods it exposes and how a proxy to it is
 * built. Callers (the owner's own proxies, units, remote clients) come through `invoke`.
 *
 * Lifetime: a record is held by the owner's proxies to it (the one `proxyOf` made), by every unit
 * or connection it was sent to until that one gives it back or ends (host.ts), and by the managed
 * objects that contain a proxy to it. The id map holds records weakly, so an object nobody holds
 * is freed: Python's reference counting, done by the garbage collector.
 */
import { BasePool } from '../../executor/pool.js'
import { onAbort } from '../../internal/abort.js'
import { type Primitive, Undoable, isPrimitive, kBackend, kDescribe } from '../../sync/internal/shared.js'
import { OPS } from '../../sync/internal/server.js'
import { ManagerShutdownError } from '../errors.js'
import { kGetValue } from './referents.js'
import { type ProxyKind, type Token, type WireToken } from './token.js'

/** How a typeid makes its objects and proxies (what `register()` recorded). */
export interface TypeEntry {
  readonly typeid: string
  /** Makes the referent; `undefined` for a typeid registered only to call it (a remote client's). */
  readonly callable: ((...args: never[]) => unknown) | undefined
  readonly exposed: readonly string[] | undefined
  readonly methodToTypeid: Readonly<Record<string, string>> | undefined
  /** `undefined`: an auto proxy from the exposed methods (or the primitive's own class). */
  readonly proxy: ProxyKind | undefined
}

/** Who performs a call: a primitive's operations need an owner id (see sync/internal/shared.ts). */
export interface Acting {
  readonly signal?: AbortSignal | undefined
  readonly as?: { readonly key: string; readonly num: number } | undefined
}

/** A server-side error: the caller gets it as `RemoteError`, with this message as the traceback. */
export class Fault extends Error {
  override readonly name = 'ManagerFault'
}

export class ManagedObject {
  /** Records this one keeps alive: a condition's lock, proxies that passed through a queue. */
  readonly pins = new Set<ManagedObject>()
  /** The owner's proxy to it, made on first need. */
  proxy: WeakRef<object> | undefined

  constructor(
    readonly token: Token,
    readonly referent: object,
    readonly exposed: ReadonlySet<string>,
    readonly methodToTypeid: Readonly<Record<string, string>> | undefined,
  ) {}

  get primitive(): boolean {
    return this.token.proxy.k === 'primitive'
  }
}

/** Python's `public_methods(obj)`: every method reachable from the object, not starting with `_`. */
export function publicMethods(object: object): string[] {
  const names = new Set<string>()
  for (let o: object | null = object; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor' || name.startsWith('_')) continue
      const descriptor = Object.getOwnPropertyDescriptor(o, name)
      if (descriptor !== undefined && typeof descriptor.value === 'function') names.add(name)
    }
  }
  return [...names].sort()
}

const isClass = (fn: unknown): fn is new (...args: unknown[]) => object =>
  typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn))

export class ObjectServer {
  readonly #records = new Map<number, WeakRef<ManagedObject>>()
  readonly #byReferent = new WeakMap<object, ManagedObject>()
  readonly #forget = new FinalizationRegistry<number>((id) => {
    if (this.#records.get(id)?.deref() === undefined) this.#records.delete(id)
  })
  readonly #running = new Set<AbortController>()
  #nextId = 0
  #closed = false

  constructor(
    readonly mid: string,
    readonly types: ReadonlyMap<string, TypeEntry>,
    /** The owner's proxy to a record (runtime.ts). */
    readonly proxyOf: (record: ManagedObject) => Promise<object>,
  ) {}

  get closed(): boolean {
    return this.#closed
  }

  #check(): void {
    if (this.#closed) throw new ManagerShutdownError()
  }

  record(id: number): ManagedObject {
    this.#check()
    const record = this.#records.get(id)?.deref()
    if (record === undefined) throw new Fault(`the manager has no object with id ${id} (it was freed, or the id is wrong)`)
    return record
  }

  /** Makes a new object of `typeid` (Python's `Server.create`). */
  async create(typeid: unknown, args: readonly unknown[]): Promise<ManagedObject> {
    this.#check()
    const entry = typeof typeid === 'string' ? this.types.get(typeid) : undefined
    if (entry === undefined) throw new Fault(`the manager has no typeid ${String(typeid)} (register it with register())`)
    const callable = entry.callable
    if (callable === undefined) throw new Fault(`typeid '${entry.typeid}' was registered without a callable here, so this manager cannot make it`)
    const referent: unknown = isClass(callable) ? new callable(...args) : await (callable as (...a: unknown[]) => unknown)(...args)
    this.#check()
    return this.adopt(referent, entry)
  }

  /** The record of `referent` (the same one for the same object: Python's `id(obj)`). */
  adopt(referent: unknown, entry: TypeEntry): ManagedObject {
    if (typeof referent !== 'object' || referent === null) {
      throw new Fault(`typeid '${entry.typeid}' made ${referent === null ? 'null' : typeof referent}, not an object a proxy can stand for`)
    }
    const known = this.#byReferent.get(referent)
    if (known !== undefined) return known
    const id = ++this.#nextId
    let proxy: ProxyKind
    let exposed: readonly string[]
    const pins: ManagedObject[] = []
    if (isPrimitive(referent)) {
      const { type, meta } = (referent as Primitive)[kDescribe]('process')
      proxy = { k: 'primitive', type, meta: this.#primitiveMeta(meta, pins) }
      exposed = []
    } else {
      proxy = entry.proxy ?? { k: 'auto' }
      exposed = [...(entry.exposed ?? publicMethods(referent)), ...Object.keys(entry.methodToTypeid ?? {})]
    }
    const token: Token = { mid: this.mid, id, typeid: entry.typeid, exposed: [...new Set(exposed)], proxy }
    const record = new ManagedObject(token, referent, new Set(token.exposed), entry.methodToTypeid)
    for (const pin of pins) record.pins.add(pin)
    this.#records.set(id, new WeakRef(record))
    this.#byReferent.set(referent, record)
    this.#forget.register(record, id)
    return record
  }

  /** A primitive's description, with the primitives it holds (a condition's lock) managed too. */
  #primitiveMeta(meta: unknown, pins: ManagedObject[]): unknown {
    if (typeof meta !== 'object' || meta === null) return meta
    if (isPrimitive(meta)) {
      const type = (meta as Primitive)[kDescribe]('process').type
      const record = this.adopt(meta, { typeid: type, callable: undefined, exposed: undefined, methodToTypeid: undefined, proxy: undefined })
      pins.push(record)
      return { $concProxy: 1, ...record.token } satisfies WireToken
    }
    if (Array.isArray(meta)) return meta.map((item) => this.#primitiveMeta(item, pins))
    const out: { [key: string]: unknown } = {}
    for (const [key, value] of Object.entries(meta)) out[key] = this.#primitiveMeta(value, pins)
    return out
  }

  /**
   * Calls method (or, for a primitive, operation) `name` on the record's referent. A proxy's
   * arguments are already proxies here. The referent's own errors propagate as they are; errors
   * of the call itself are {@link Fault}s.
   */
  async invoke(record: ManagedObject, name: string, args: readonly unknown[], acting: Acting = {}): Promise<unknown> {
    this.#check()
    // Only a primitive's operations wait (a lock, a queue): they are ended with the manager.
    if (!record.primitive) {
      try {
        return await this.#invoke(record, name, args, acting)
      } catch (error) {
        throw this.#closed ? new ManagerShutdownError() : error
      }
    }
    const controller = new AbortController()
    const signal = acting.signal
    const offAbort = signal === undefined ? undefined : onAbort(signal, () => controller.abort(signal.reason))
    this.#running.add(controller)
    try {
      const result = await this.#invoke(record, name, args, { ...acting, signal: controller.signal })
      // A call that ended with the manager has nothing to hand back (a queue item goes back).
      if (this.#closed) {
        if (result instanceof Undoable) result.undo()
        throw new ManagerShutdownError()
      }
      return result
    } catch (error) {
      if (this.#closed) throw new ManagerShutdownError()
      throw error
    } finally {
      this.#running.delete(controller)
      offAbort?.()
    }
  }

  async #invoke(record: ManagedObject, name: string, args: readonly unknown[], acting: Acting): Promise<unknown> {
    const referent = record.referent as { [key: string]: unknown; [kGetValue]?: unknown }
    if (name === '#getvalue') return typeof referent[kGetValue] === 'function' ? (referent[kGetValue] as () => unknown).call(referent) : referent
    if (name === '#repr') return String(referent)
    if (record.primitive) {
      if (!OPS.has(name)) throw new Fault(`'${name}' is not an operation of a managed ${record.token.typeid}`)
      return (referent as unknown as Primitive)[kBackend].call(name, args, acting)
    }
    if (!record.exposed.has(name)) {
      throw new Fault(`method '${name}' of ${referent.constructor?.name ?? 'Object'} object is not in exposed=${JSON.stringify([...record.exposed])}`)
    }
    const method = referent[name]
    if (typeof method !== 'function') throw new Fault(`'${name}' of ${referent.constructor?.name ?? 'Object'} object is not a method`)
    const result: unknown = await (method as (...a: unknown[]) => unknown).apply(referent, [...args])
    const typeid = record.methodToTypeid?.[name]
    if (typeid === undefined) return result
    const entry = this.types.get(typeid)
    if (entry === undefined) throw new Fault(`method '${name}' returns typeid '${typeid}', which is not registered`)
    return await this.proxyOf(this.adopt(result, entry))
  }

  /** Python's `number_of_objects()`: the objects alive now (run the garbage collector first to be exact). */
  numberOfObjects(): number {
    let n = 0
    for (const ref of this.#records.values()) if (ref.deref() !== undefined) n++
    return n
  }

  /** Ends every call in progress and forgets every object; pools are terminated. */
  shutdown(): void {
    if (this.#closed) return
    this.#closed = true
    for (const controller of this.#running) controller.abort(new ManagerShutdownError())
    this.#running.clear()
    for (const ref of this.#records.values()) {
      const referent = ref.deref()?.referent
      if (referent instanceof BasePool) referent.terminate()
    }
    this.#records.clear()
  }
}
