/**
 * Python's `BaseProxy`: an object that stands for a managed object kept by a manager, wherever
 * the proxy is (the manager's owner, a thread, a child process, another host). Every method is a
 * call to the manager and returns a promise: nothing about a proxy reads or writes the referent
 * without a round trip, so nothing pretends to be synchronous.
 *
 * @module
 */
import type { UnitKind } from '../backend.js'
import { type HandleDescription, handleCreated, kHandle } from '../internal/handles.js'
import { type Token, kToken } from './internal/token.js'

/** Options of a proxy call. */
export interface CallOptions {
  /** Gives up waiting (the call may still happen on the manager). */
  readonly signal?: AbortSignal | undefined
}

/** What a proxy calls through: the manager itself (in its owner), or a link to it. @internal */
export interface ProxyLink {
  call(token: Token, name: string, args: readonly unknown[], options?: CallOptions): Promise<unknown>
}

export const kLink: unique symbol = Symbol('@conc/proxy-link')

/** @internal Proxy classes registered in this isolate (`module#export`), made without an import. */
export const localProxyClasses = new Map<string, abstract new (...args: never[]) => BaseProxy>()

type Describer = (proxy: BaseProxy, kind: UnitKind) => HandleDescription
let describer: Describer | undefined

/** @internal Set by the manager runtime, which every proxy is made by. */
export function setProxyDescriber(describe: Describer): void {
  describer = describe
}

/**
 * The base of every proxy (Python's `BaseProxy`). Subclass it to give a registered type a proxy
 * with its own methods, and pass it to `register(typeid, callable, { proxytype })`; the subclass
 * must be exported from its module, since proxies are rebuilt by reference in other units.
 *
 * A proxy passed to a `Thread`, a `Process` or a pool task (in `args`, `initargs`, task
 * arguments, or inside a managed object) arrives as a proxy to the same object.
 *
 * @example
 * ```ts
 * export class CounterProxy extends BaseProxy {
 *   increment(by = 1): Promise<number> {
 *     return this.callMethod('increment', [by])
 *   }
 * }
 * CounterManager.register('Counter', Counter, { proxytype: CounterProxy })
 * ```
 */
export class BaseProxy {
  /** @internal */
  declare readonly [kToken]: Token
  /** @internal */
  declare readonly [kLink]: ProxyLink

  /** @internal Proxies are made by their manager, not constructed by programs. */
  constructor(token: Token, link: ProxyLink) {
    Object.defineProperty(this, kToken, { value: token })
    Object.defineProperty(this, kLink, { value: link })
    handleCreated()
  }

  /** The typeid the referent was registered under (`'dict'`, `'list'`, or your own). */
  get typeid(): string {
    return this[kToken].typeid
  }

  /**
   * Calls method `name` of the referent with `args` and returns a copy of its result (Python's
   * `_callmethod`). An error the method throws is re-raised here with its class; a method that is
   * not exposed raises `RemoteError`.
   */
  callMethod<T = unknown>(name: string, args: readonly unknown[] = [], options?: CallOptions): Promise<T> {
    return this[kLink].call(this[kToken], name, args, options) as Promise<T>
  }

  /** A copy of the referent (Python's `_getvalue()`). */
  getValue<T = unknown>(): Promise<T> {
    return this.callMethod<T>('#getvalue')
  }

  /** The referent's own `toString()`, read from the manager (Python's `str(proxy)`). */
  repr(): Promise<string> {
    return this.callMethod<string>('#repr')
  }

  /** @internal How the proxy travels to a unit: as its token, served by this isolate. */
  [kHandle](kind: UnitKind): HandleDescription {
    if (describer === undefined) throw new TypeError('@conc: a proxy was made without the manager runtime')
    return describer(this, kind)
  }

  toString(): string {
    const token = this[kToken]
    return `<${this.constructor.name} object, typeid '${token.typeid}' at ${token.mid}#${token.id}>`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}
