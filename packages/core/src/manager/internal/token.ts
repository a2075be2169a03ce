/**
 * What identifies a managed object wherever a proxy to it goes (Python's `Token`): the manager, the
 * object's id in it, its typeid, the methods it exposes, and how a proxy to it is built. A token
 * is plain data, so it crosses every transport (structured clone, V8 serialization, sockets).
 */

/** How a proxy for a token is built on the receiving side. */
export type ProxyKind =
  /** One of @conc's proxy classes (`DictProxy`, `ListProxy`, …), by name. */
  | { readonly k: 'builtin'; readonly name: string }
  /** A proxy class made from `exposed` (Python's `AutoProxy`). */
  | { readonly k: 'auto' }
  /** The user's `proxytype`, by reference to the module that exports it (like a target). */
  | { readonly k: 'class'; readonly module: string; readonly exportName: string }
  /** A @conc primitive class (`Lock`, `Queue`, …) whose operations go to the manager. */
  | { readonly k: 'primitive'; readonly type: string; readonly meta: unknown }

export interface Token {
  /** The manager: unique across processes and hosts. */
  readonly mid: string
  /** The object's id in its manager. */
  readonly id: number
  readonly typeid: string
  /** The methods a proxy may call. */
  readonly exposed: readonly string[]
  readonly proxy: ProxyKind
}

/** A token in a message, in place of a proxy. */
export interface WireToken extends Token {
  readonly $concProxy: 1
}

export function isWireToken(value: object): value is WireToken {
  return (value as { $concProxy?: unknown }).$concProxy === 1
}

export const tokenKey = (mid: string, id: number): string => `${mid}#${id}`

/** The symbol under which a proxy (or a managed primitive's backend) keeps its token. */
export const kToken: unique symbol = Symbol.for('@conc/manager-token')

/** Anything that stands for a managed object here: a proxy, or a managed primitive. */
export interface Tokened {
  readonly [kToken]: Token
}

export function tokenOf(value: object): Token | undefined {
  return (value as Partial<Tokened>)[kToken]
}
