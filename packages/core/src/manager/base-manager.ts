/**
 * Python's `multiprocessing.managers.BaseManager`: a server of shared objects, and the proxies
 * that every thread, process and pool task (and, over a socket, another program or host) uses to
 * reach them. The manager's objects live in the isolate that created it; its machinery is loaded
 * on first use.
 *
 * @module
 */
import { type Address as ConnectionAddress, parseAddress, parseAuthkey } from '../connection/options.js'
import { ConcTypeError, ValueError } from '../errors.js'
import { callerModule, targetSpec } from '../internal/target-ref.js'
import { ManagerShutdownError } from './errors.js'
import type { Core, LocalCore, TypeEntry } from './internal/runtime.js'
import type { ProxyKind } from './internal/token.js'
import { BaseProxy, localProxyClasses } from './proxy.js'
import { BUILTIN_PROXIES } from './proxies.js'

/**
 * Where a manager's server listens or is reached: `[host, port]` (TCP; port 0 lets the system
 * choose) or a Unix socket path, as for `connection.Listener`.
 */
export type Address = ConnectionAddress

/** Options of a manager. */
export interface ManagerOptions {
  /**
   * Where to listen (`start()`, `serveForever()`) or connect (`connect()`). Without an address the
   * manager serves this program's own units only.
   */
  readonly address?: Address | null | undefined
  /**
   * The key both ends must know, needed with an address: each connection is authenticated with
   * Python's HMAC challenge–response before any message is read (a string is taken as its UTF-8
   * bytes). A client with another key gets `AuthenticationError`.
   */
  readonly authkey?: string | Uint8Array | null | undefined
}

/** Options of {@link BaseManager.register}, as Python's `register()` takes them. */
export interface RegisterOptions {
  /** The proxy class (a `BaseProxy` subclass exported from its module); default: an auto proxy. */
  readonly proxytype?: (abstract new (...args: never[]) => BaseProxy) | undefined
  /** The methods proxies may call; default: every public method (not starting with `_`). */
  readonly exposed?: readonly string[] | undefined
  /** Methods whose result is returned as a proxy of that typeid instead of a copy. */
  readonly methodToTypeid?: Readonly<Record<string, string>> | undefined
  /** Adds a method named `typeid` to the manager class (default `true`). */
  readonly createMethod?: boolean | undefined
}

/** A callable that makes a registered type's objects: a class (called with `new`) or a function. */
export type Callable = ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown)

type ManagerClass = abstract new (...args: never[]) => BaseManager

const registries = new WeakMap<object, Map<string, TypeEntry>>()

/** The typeids of `Class`: its own registrations over those it inherits (Python copies the dict). */
function registryOf(Class: object): Map<string, TypeEntry> {
  for (let C: object | null = Class; C !== null && C !== Function.prototype; C = Object.getPrototypeOf(C) as object | null) {
    const own = registries.get(C)
    if (own !== undefined) return own
  }
  return new Map()
}

function proxyKind(proxytype: RegisterOptions['proxytype']): ProxyKind | undefined {
  if (proxytype === undefined) return undefined
  if (typeof proxytype !== 'function' || !(proxytype.prototype instanceof BaseProxy)) {
    throw new ConcTypeError('proxytype must be a subclass of BaseProxy')
  }
  for (const [name, Class] of BUILTIN_PROXIES) if (Class === proxytype) return { k: 'builtin', name }
  // Proxies are rebuilt in other units: the class travels by reference, like a target.
  const spec = targetSpec(proxytype as unknown as (...args: never[]) => unknown, callerModule())
  if (spec.module === undefined || !spec.name) {
    throw new ConcTypeError(`proxytype ${spec.name || '(anonymous)'} must be a named class exported from its module (proxies are rebuilt by reference in other units)`)
  }
  const kind = { k: 'class', module: spec.module, exportName: spec.exportName ?? spec.name } as const
  localProxyClasses.set(`${kind.module}#${kind.exportName}`, proxytype)
  return kind
}

let runtime: Promise<typeof import('./internal/runtime.js')> | undefined

/** The manager machinery, loaded on first use: programs that never use a manager do not pay for it. */
export function loadRuntime(): Promise<typeof import('./internal/runtime.js')> {
  runtime ??= import('./internal/runtime.js')
  return runtime
}

type State = 'initial' | 'started' | 'connected' | 'shutdown'

/**
 * Python's `BaseManager`: register your own types with {@link BaseManager.register}, then create
 * objects with the method of their typeid (or `create(typeid, ...args)`), and use them through
 * the proxies it returns, from any unit they are passed to.
 *
 * The manager lives in the isolate that creates it: there is no server process, and nothing to
 * orphan. Without an address it starts on first use; `await using` shuts it down. With an
 * address and an `authkey`, `start()` or `serveForever()` also serve it to other programs, which
 * reach it with `connect()`.
 *
 * @example
 * ```ts
 * // counter.ts
 * export class Counter {
 *   n = 0
 *   increment(by = 1) { return (this.n += by) }
 * }
 * export class CounterManager extends BaseManager {
 *   declare Counter: () => Promise<AutoProxy<Counter>>
 * }
 * CounterManager.register('Counter', Counter)
 *
 * // main.ts
 * await using manager = await new CounterManager().start()
 * const counter = await manager.Counter()
 * console.log(await counter.increment(2)) // 2
 * ```
 */
export class BaseManager implements AsyncDisposable {
  readonly #address: Address | null
  readonly #authkey: string | Uint8Array | null
  #state: State = 'initial'
  #core: Promise<Core> | undefined
  #served: { readonly address: Address; close(): Promise<void> } | undefined
  #starting: Promise<void> | undefined
  #boundAddress: Address | null = null
  #stopped: (() => void) | undefined
  #finished: Promise<void> | undefined

  /**
   * Registers `typeid` on this manager class (and its subclasses), as Python's
   * `BaseManager.register(typeid, callable, proxytype, exposed, method_to_typeid, create_method)`.
   * `callable` makes the objects, in the manager's owner; a manager that only connects to a
   * remote server registers the typeid without one.
   *
   * @example
   * ```ts
   * QueueManager.register('getQueue', () => queue)             // the same object each time
   * MathsManager.register('Maths', Maths, { exposed: ['add'] })
   * ```
   */
  static register(typeid: string, callable?: Callable, options: RegisterOptions = {}): void {
    if (typeof typeid !== 'string' || typeid === '') throw new ConcTypeError('typeid must be a non-empty string')
    if (callable !== undefined && typeof callable !== 'function') throw new ConcTypeError(`callable must be a function or a class, got ${typeof callable}`)
    for (const [method, target] of Object.entries(options.methodToTypeid ?? {})) {
      if (typeof target !== 'string') throw new ConcTypeError(`methodToTypeid['${method}'] must be a typeid (a string)`)
    }
    if (!registries.has(this)) registries.set(this, new Map(registryOf(Object.getPrototypeOf(this) as object)))
    const registry = registries.get(this) as Map<string, TypeEntry>
    registry.set(typeid, {
      typeid,
      callable: callable as TypeEntry['callable'],
      exposed: options.exposed === undefined ? undefined : [...options.exposed],
      methodToTypeid: options.methodToTypeid === undefined ? undefined : { ...options.methodToTypeid },
      proxy: proxyKind(options.proxytype),
    })
    if (options.createMethod !== false) {
      Object.defineProperty(this.prototype, typeid, {
        value: function (this: BaseManager, ...args: unknown[]) {
          return this.create(typeid, ...args)
        },
        writable: true,
        configurable: true,
      })
    }
  }

  /**
   * @throws {ValueError} for an address that is neither `[host, port]` nor a path
   * @throws {ConcTypeError} for an authkey that is neither a string nor a `Uint8Array`
   */
  constructor(options: ManagerOptions = {}) {
    this.#address = options.address ?? null
    if (this.#address !== null) parseAddress(this.#address)
    parseAuthkey(options.authkey)
    this.#authkey = options.authkey ?? null
  }

  /** Where the server listens (with the port the system chose for 0), or `null` without one. */
  get address(): Address | null {
    return this.#boundAddress ?? this.#address
  }

  /** `'initial'`, `'started'`, `'connected'` or `'shutdown'`. */
  get state(): State {
    return this.#state
  }

  #types(): ReadonlyMap<string, TypeEntry> {
    return registryOf(this.constructor)
  }

  #refuseShutdown(): void {
    if (this.#state === 'shutdown') throw new ManagerShutdownError('Manager has shut down')
  }

  /** The authkey a manager with an address needs (Python falls back on the process's own key, which another program does not know). */
  #requireAuthkey(what: string): string | Uint8Array {
    if (this.#authkey === null) throw new ValueError(`${what} needs an authkey: new BaseManager({ address, authkey }) (the same key at both ends)`)
    return this.#authkey
  }

  /**
   * Starts the manager in this isolate; with an address, also serves it there to clients that
   * `connect()` with the same authkey. Returns the manager, so
   * `await using m = await new Manager().start()` works. Starting again does nothing.
   *
   * Serving keeps nothing alive: when the program has nothing else to do it ends, and the manager
   * with it (Python shuts its server process down when the owner exits). To serve until
   * `shutdown()`, use {@link BaseManager.serveForever}.
   *
   * @throws {ManagerShutdownError} after `shutdown()`
   * @throws {ValueError} with an address but no authkey
   * @throws {OSError} when the address cannot be used (in use, no permission)
   */
  async start(): Promise<this> {
    this.#refuseShutdown()
    if (this.#state === 'connected') throw new ValueError('this manager is connected to a server: it cannot start one too')
    if (this.#state === 'initial') {
      const authkey = this.#address === null ? null : this.#requireAuthkey('a manager served on an address')
      this.#state = 'started'
      this.#starting = this.#begin(authkey)
    }
    await this.#starting
    return this
  }

  async #begin(authkey: string | Uint8Array | null): Promise<void> {
    const core = loadRuntime().then((r) => new r.LocalCore(this.#types()))
    this.#core = core
    const local = await core
    if (this.#address === null || authkey === null) return
    const { listen } = await import('./internal/remote.js')
    try {
      this.#served = await listen(local as LocalCore, this.#address, authkey)
    } catch (error) {
      // Nothing listens: the manager is as it was before start().
      if (this.#state === 'started') {
        this.#state = 'initial'
        this.#core = undefined
        this.#starting = undefined
      }
      await local.shutdown()
      throw error
    }
    this.#boundAddress = this.#served.address
    // shutdown() was called while the server was starting.
    if (this.#state === 'shutdown') await this.#served.close()
  }

  /**
   * Connects to the server of a manager at `address` (started with `start()` or `serveForever()`
   * in another program, on this host or another), as Python's `connect()`: both sides prove they
   * know the authkey, then objects are created there and used through proxies here, which can be
   * passed on to this program's units. Once the server is gone (shut down, its program ended),
   * every call raises {@link ManagerShutdownError}.
   *
   * @throws {AuthenticationError} when the authkeys differ (`digest sent was rejected`)
   * @throws {OSError} when nothing listens there (`ECONNREFUSED`)
   * @throws {ValueError} without an address or an authkey, or when this manager was started
   * @example
   * ```ts
   * class QueueManager extends BaseManager {
   *   declare getQueue: () => Promise<Queue<string>>
   * }
   * QueueManager.register('getQueue') // the server registered it with its callable
   * const m = await new QueueManager({ address: ['server.example', 50000], authkey: 'abracadabra' }).connect()
   * const queue = await m.getQueue()
   * await queue.put('hello')
   * ```
   */
  async connect(): Promise<this> {
    this.#refuseShutdown()
    if (this.#state !== 'initial') throw new ValueError(`cannot connect a manager that is ${this.#state}`)
    if (this.#address === null) throw new ValueError('connect() needs the address of the server (new BaseManager({ address, authkey }))')
    const authkey = this.#requireAuthkey('connect()')
    this.#state = 'connected'
    const address = this.#address
    this.#core = loadRuntime().then(async () => {
      const { connect } = await import('./internal/remote.js')
      return connect(address, authkey)
    })
    try {
      await this.#core
    } catch (error) {
      // Not connected: the manager is as it was before connect() (unless shut down meanwhile).
      if (this.#state === 'connected') {
        this.#state = 'initial'
        this.#core = undefined
      }
      throw error
    }
    return this
  }

  /**
   * Serves the manager at its address until `shutdown()` (Python's `get_server().serve_forever()`):
   * starts it if need be, and keeps the program running while it serves. A client that fails the
   * authentication (or sends anything but the handshake first) is disconnected, and the server
   * goes on with the others.
   *
   * @throws {ValueError} without an address or an authkey
   * @throws {OSError} when the address cannot be used
   * @example
   * ```ts
   * const manager = new QueueManager({ address: ['0.0.0.0', 50000], authkey: 'abracadabra' })
   * await manager.serveForever()
   * ```
   */
  async serveForever(): Promise<void> {
    if (this.#address === null) throw new ValueError('serveForever() needs an address to listen on')
    await this.start()
    this.#finished ??= new Promise<void>((resolve) => (this.#stopped = resolve))
    // Keeps the program alive while it serves, as Python's serve_forever() blocks.
    const alive = setInterval(() => {}, 1 << 30)
    try {
      await this.#finished
    } finally {
      clearInterval(alive)
    }
  }

  async #ready(): Promise<Core> {
    this.#refuseShutdown()
    if (this.#core === undefined) {
      if (this.#address !== null) throw new ValueError('call start(), connect() or serveForever() first')
      await this.start()
    }
    return this.#core as Promise<Core>
  }

  /**
   * Creates an object of `typeid` (with the callable it was registered with) and returns a proxy
   * to it; the method named after the typeid does the same.
   *
   * @throws {RemoteError} when the typeid is not registered where the objects are made
   */
  async create<P = BaseProxy>(typeid: string, ...args: unknown[]): Promise<P> {
    const core = await this.#ready()
    return (await core.create(typeid, args)) as P
  }

  /** How many objects the manager keeps now (Python's `_number_of_objects()`, for tests and debugging). */
  async numberOfObjects(): Promise<number> {
    return (await this.#ready()).numberOfObjects()
  }

  /**
   * Shuts the manager down: its objects are gone, calls in progress fail, and proxies used later
   * raise {@link ManagerShutdownError}; pools it made are terminated, remote clients are
   * disconnected (their calls raise `ManagerShutdownError` too) and `serveForever()` returns. A
   * manager that `connect()`ed only closes its connection: the server goes on, and lets go of
   * what this program held there. Doing it again does nothing.
   */
  async shutdown(): Promise<void> {
    if (this.#state === 'shutdown') return
    const core = this.#core
    this.#state = 'shutdown'
    try {
      await this.#served?.close()
      if (core !== undefined) await (await core.catch(() => undefined))?.shutdown()
    } finally {
      this.#stopped?.()
    }
  }

  /** `await using manager = new Manager()`: shut down at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown()
  }

  toString(): string {
    return `<${this.constructor.name} ${this.#state}${this.address === null ? '' : ` ${JSON.stringify(this.address)}`}>`
  }
}

export type { ManagerClass }
