/**
 * How a proxy reaches its manager: `OwnerLink` in the isolate that owns the manager (a direct
 * call, with the values copied as they would be on the wire), `MessageLink` everywhere else: a
 * request over the unit channel to the parent (which serves or forwards it), or over a socket to
 * a remote manager's server.
 */
// Before this module's body: it adds its settle after the primitives' (addSettle below).
import '../../sync/internal/travel.js'
import type { UnitChannel } from '../../unit.js'
import { onAbort } from '../../internal/abort.js'
import type { Writable } from '../../internal/wire.js'
import { addSettle } from '../../internal/context.js'
import type { CallContext } from '../../sync/internal/shared.js'
import { RemoteError } from '../errors.js'
import type { CallOptions, ProxyLink } from '../proxy.js'
import { unpackError } from './error-wire.js'
import { Fault, type ObjectServer, type ManagedObject } from './object-server.js'
import type { Token, WireToken } from './token.js'
import { type CallMessage, type ClientMessage, type ReplyMessage, fromWire, toWire } from './wire.js'

/** A call as it is sent: to object `id` (0: the manager) of manager `mid`. */
export interface Request {
  readonly mid: string
  readonly id: number
  readonly name: string
  readonly args: readonly unknown[]
  /** `args` are already on the wire (a forwarded call): tokens, not proxies. */
  readonly encoded?: { readonly p: 1 | undefined } | undefined
  readonly op?: 1 | undefined
  readonly owner?: string | undefined
}

/** What every link does besides calling methods. */
export interface Link extends ProxyLink {
  /** An operation of a managed primitive, for the owner `ctx.as` (see sync/internal/shared.ts). */
  op(token: Token, op: string, args: readonly unknown[], ctx: CallContext | undefined): Promise<unknown>
  request(request: Request, signal?: AbortSignal): Promise<unknown>
  /** This isolate dropped its proxy to an object after receiving its token `n` times. */
  decref(mid: string, id: number, n: number): void
}

/** Turns a token that arrived over `link` into this isolate's proxy (runtime.ts). */
export type ResolveUpstream = (token: WireToken, link: MessageLink) => Promise<object>
/** Turns a token that a caller sent back into what it stands for here (runtime.ts). */
export type ResolveHere = (token: WireToken) => object | Promise<object>

/** The error a call raises for a failed reply. */
async function replyError(reply: Extract<ReplyMessage, { ok: false }>): Promise<unknown> {
  const error = await unpackError(reply.error)
  if (reply.remote === 1 && error instanceof Error) return new RemoteError(error.stack ?? `${error.name}: ${error.message}`)
  return error
}

/** A `RemoteError` for a server-side failure here (the owner's own proxies). */
export function asRemote(error: unknown): unknown {
  return error instanceof Fault ? new RemoteError(error.stack ?? error.message) : error
}

/** A copy of `value` as the wire would make it, with its proxies kept (the owner's calls). */
export async function copyValue<T>(value: T, resolve: ResolveHere): Promise<T> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')) return value
  const out = toWire(value)
  let copy: unknown
  try {
    copy = structuredClone(out.value)
  } catch (error) {
    throw new Fault(`Unserializable message: ${(error as Error).message}`)
  }
  return (out.tokens.length === 0 ? copy : await fromWire(copy, resolve)) as T
}

/** The owner's proxy to one of its records: calls run here, on copies. */
export class OwnerLink implements Link {
  constructor(
    readonly server: ObjectServer,
    readonly record: ManagedObject,
    readonly resolve: ResolveHere,
  ) {}

  async call(_token: Token, name: string, args: readonly unknown[], options?: CallOptions): Promise<unknown> {
    try {
      const copied = await copyValue(args, this.resolve)
      const result = await this.server.invoke(this.record, name, copied, { signal: options?.signal })
      return await copyValue(result, this.resolve)
    } catch (error) {
      throw asRemote(error)
    }
  }

  async op(_token: Token, op: string, args: readonly unknown[], ctx: CallContext | undefined): Promise<unknown> {
    try {
      return await this.server.invoke(this.record, op, args, { signal: ctx?.signal, as: ctx?.as })
    } catch (error) {
      throw asRemote(error)
    }
  }

  async request(request: Request): Promise<unknown> {
    if (request.op === 1) return this.op(this.record.token, request.name, request.args, undefined)
    return this.call(this.record.token, request.name, request.args)
  }

  decref(): void {}
}

interface Pending {
  resolve(reply: ReplyMessage): void
  reject(error: unknown): void
}

/**
 * Requests as messages, answered by `mgr.reply` messages matched by id. Used over a unit channel
 * (to the parent) and over a socket (to a remote manager).
 */
export class MessageLink implements Link {
  #next = 0
  readonly #pending = new Map<number, Pending>()
  /** Waiting for every call to be answered (settle()). */
  #drained: (() => void)[] = []
  #lost: unknown

  constructor(
    readonly name: string,
    /** Sends a message; a socket's send is asynchronous, and its failure fails the call later. */
    readonly send: (message: ClientMessage) => void | Promise<void>,
    readonly resolve: ResolveUpstream,
    /** Told when the first call starts waiting and when the last one is answered. */
    readonly onBusy?: (busy: boolean) => void,
  ) {}

  get busy(): boolean {
    return this.#pending.size > 0
  }

  /** Whether the transport is gone (every call fails). */
  get lost(): boolean {
    return this.#lost !== undefined
  }

  #idle(): void {
    this.onBusy?.(false)
    const drained = this.#drained
    this.#drained = []
    for (const resolve of drained) resolve()
  }

  /** A reply arrived. */
  receive(message: ReplyMessage): void {
    const pending = this.#pending.get(message.rid)
    if (pending === undefined) return
    this.#pending.delete(message.rid)
    pending.resolve(message)
    if (this.#pending.size === 0) this.#idle()
  }

  /** The transport is gone: every call, now and later, fails with `error`. */
  lose(error: unknown): void {
    this.#lost ??= error
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    for (const entry of pending) entry.reject(this.#lost)
    if (pending.length > 0) this.#idle()
  }

  call(token: Token, name: string, args: readonly unknown[], options?: CallOptions): Promise<unknown> {
    return this.request({ mid: token.mid, id: token.id, name, args }, options?.signal)
  }

  op(token: Token, op: string, args: readonly unknown[], ctx: CallContext | undefined): Promise<unknown> {
    return this.request({ mid: token.mid, id: token.id, name: op, args, op: 1, owner: ctx?.as?.key }, ctx?.signal)
  }

  request(request: Request, signal?: AbortSignal): Promise<unknown> {
    try {
      signal?.throwIfAborted()
      if (this.#lost !== undefined) throw this.#lost
      let args = request.args
      let p = request.encoded?.p
      if (request.encoded === undefined && request.op !== 1) {
        const out = toWire(args)
        args = out.value as readonly unknown[]
        p = out.tokens.length > 0 ? 1 : undefined
      }
      const rid = ++this.#next
      const message: Writable<CallMessage> = { t: 'mgr.call', rid, mid: request.mid, id: request.id, name: request.name, args }
      if (p === 1) message.p = 1
      if (request.op === 1) message.op = 1
      if (request.owner !== undefined) message.owner = request.owner
      const replied = new Promise<ReplyMessage>((resolve, reject) => this.#pending.set(rid, { resolve, reject }))
      if (this.#pending.size === 1) this.onBusy?.(true)
      let sent: void | Promise<void>
      try {
        sent = this.send(message)
      } catch (error) {
        // Nothing was sent (an argument cannot be serialized): nothing will answer.
        this.#pending.delete(rid)
        if (this.#pending.size === 0) this.#idle()
        throw error
      }
      if (sent instanceof Promise) sent.catch((error: unknown) => this.#fail(rid, error))
      if (signal === undefined) return replied.then((reply) => this.#outcome(reply, rid, undefined))
      const offAbort = onAbort(signal, () => this.#trySend({ t: 'mgr.cancel', rid }))
      return replied.then(
        (reply) => {
          offAbort()
          return this.#outcome(reply, rid, signal)
        },
        (error: unknown) => {
          offAbort()
          throw error
        },
      )
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Call `rid` could not be sent after all: nothing will answer it. */
  #fail(rid: number, error: unknown): void {
    const pending = this.#pending.get(rid)
    if (pending === undefined) return
    this.#pending.delete(rid)
    pending.reject(error)
    if (this.#pending.size === 0) this.#idle()
  }

  #outcome(reply: ReplyMessage, rid: number, signal: AbortSignal | undefined): unknown {
    const aborted = signal?.aborted === true
    if (!reply.ok) {
      if (aborted) throw signal?.reason
      return replyError(reply).then((error) => {
        throw error
      })
    }
    // An item handed over must be acknowledged, or given back if the caller gave up meanwhile.
    if (reply.ack === 1) this.#trySend({ t: aborted ? 'mgr.nack' : 'mgr.ack', rid })
    if (aborted) throw signal?.reason
    return reply.p === 1 ? fromWire(reply.value, (token) => this.resolve(token, this)) : reply.value
  }

  #trySend(message: ClientMessage): void {
    if (this.#lost !== undefined) return
    try {
      const sent = this.send(message)
      if (sent instanceof Promise) sent.catch(() => {})
    } catch {
      // The transport is closing: the other side cleans up after it anyway.
    }
  }

  decref(mid: string, id: number, n: number): void {
    this.#trySend({ t: 'mgr.decref', mid, id, n })
  }

  /** Waits until every call made so far was answered. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await new Promise<void>((resolve) => this.#drained.push(resolve))
  }
}

const channelLinks = new WeakMap<UnitChannel, MessageLink>()
const settling = new Set<MessageLink>()

/** The link of this unit to its parent, over its channel; made on first need. */
export function channelLink(channel: UnitChannel, resolve: ResolveUpstream): MessageLink {
  let link = channelLinks.get(channel)
  if (link === undefined) {
    const made = new MessageLink('parent', (message) => channel.send(message), resolve)
    channel.onMessage((message) => {
      if (message.t === 'mgr.reply') made.receive(message as ReplyMessage)
    })
    channelLinks.set(channel, made)
    settling.add(made)
    link = made
  }
  return link
}

// A unit finishes only once its calls to managers were answered (a `set` nobody awaited is applied).
addSettle(async () => {
  await Promise.all([...settling].map((link) => link.settle()))
})
