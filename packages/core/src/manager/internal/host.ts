/**
 * The serving side, one per isolate: answers the calls of the units this isolate gave proxies to
 * (over their unit channels) and of remote clients (over sockets). A call on an object of a
 * manager owned here runs here; a call on a proxy this isolate holds for an object managed
 * elsewhere is forwarded over that proxy's link (a unit passing a proxy on to its own children).
 *
 * Per peer it keeps what the peer holds: every token it was sent, counted, until the peer gives
 * it back (`mgr.decref`) or ends. That is what keeps a managed object alive while a unit holds a
 * proxy to it, even after the owner dropped its own. When a unit ends, its waits are cancelled,
 * queue items handed to it and not acknowledged go back, and the managed primitives it held or
 * used are recovered for it, as the primitives' own server does (sync/internal/server.ts): a
 * lock held by a unit that died is released.
 */
import type { UnitHandle, UnitKind } from '../../backend.js'
import { Undoable, kBackend, newRemoteOwner } from '../../sync/internal/shared.js'
import { UNIT_DIED } from '../../sync/internal/wait.js'
import { ManagerShutdownError } from '../errors.js'
import { addRecovery, addSettle } from '../../internal/context.js'
import { drain } from '../../internal/drain.js'
import { serializeThrown } from '../../internal/error-transport.js'
import { packError } from './error-wire.js'
import { ManagedBackend, lookup, resolveHere } from './here.js'
import { Fault, ManagedObject, type ObjectServer } from './object-server.js'
import { type Token, tokenKey, tokenOf } from './token.js'
import { type CallMessage, type ClientMessage, type ReplyBody, type ReplyMessage, fromWire, isClientMessage, toWire } from './wire.js'

/** How long after a unit exits its last acknowledgements may still arrive. */
const GRACE_MS = 100

interface Holding {
  readonly object: object
  count: number
}

/** A unit or a connection this isolate serves. */
export interface Peer {
  readonly key: string
  /** Sends a reply; a socket's send is asynchronous, and its failure comes later. */
  readonly send: (message: ReplyMessage) => void | Promise<void>
  /** The manager a call with an empty `mid` means (a connection to a served manager). */
  readonly home: string | undefined
  readonly holdings: Map<string, Holding>
  readonly owners: Map<string, number>
  /** Managed primitives it operated on: recovered for it when it ends. */
  readonly touched: Set<object>
  readonly pending: Map<number, AbortController>
  readonly inflight: Map<number, () => void>
  exited: boolean
}

let nextPeer = 0

export function newPeer(kind: string, send: Peer['send'], home?: string): Peer {
  const peer: Peer = {
    key: `${kind}${++nextPeer}`,
    send,
    home,
    holdings: new Map(),
    owners: new Map(),
    touched: new Set(),
    pending: new Map(),
    inflight: new Map(),
    exited: false,
  }
  // Its own owner id from the start: a peer that never made a request is recovered too.
  ownerNum(peer, peer.key)
  return peer
}

function ownerNum(peer: Peer, key: string): number {
  let num = peer.owners.get(key)
  if (num === undefined) {
    num = newRemoteOwner()
    peer.owners.set(key, num)
  }
  return num
}

/** What stands here for a managed object (held for peers): its record, or this isolate's proxy. */
function standIn(token: Token): object | undefined {
  try {
    const target = lookup(token.mid, token.id)
    return target.kind === 'owned' ? target.record : target.object
  } catch {
    return undefined
  }
}

function tokenOfTarget(object: object): Token | undefined {
  return object instanceof ManagedObject ? object.token : tokenOf(object)
}

/** Counts one more send of each token to `peer`, holding what stands for it here. */
export function hold(peer: Peer, tokens: Iterable<Token>): void {
  for (const token of tokens) {
    const key = tokenKey(token.mid, token.id)
    const holding = peer.holdings.get(key)
    if (holding !== undefined) holding.count++
    else {
      const object = standIn(token)
      if (object !== undefined) peer.holdings.set(key, { object, count: 1 })
    }
  }
}

/** A failed reply: the manager's own errors (`Fault`) travel as plain errors, the caller makes them `RemoteError`s. */
async function errorBody(error: unknown): Promise<ReplyBody> {
  if (error instanceof Fault) {
    const plain = new Error(error.message)
    plain.name = 'ManagerFault'
    if (error.stack !== undefined) plain.stack = error.stack
    return { ok: false, error: serializeThrown(plain), remote: 1 }
  }
  return { ok: false, error: await packError(error) }
}

function isPrimitiveTarget(object: object): boolean {
  if (object instanceof ManagedObject) return object.primitive
  return (object as { [kBackend]?: unknown })[kBackend] instanceof ManagedBackend
}

function unserializable(peer: Peer, rid: number, error: unknown): void {
  void errorBody(new Fault(`Unserializable message: ${(error as Error)?.message ?? String(error)}`)).then((body) => reply(peer, rid, body))
}

function reply(peer: Peer, rid: number, body: ReplyBody): boolean {
  if (peer.exited) return false
  try {
    const sent = peer.send({ t: 'mgr.reply', rid, ...body } as ReplyMessage)
    // Python's '#UNSERIALIZABLE': the result could not be sent (a socket says so later).
    if (sent instanceof Promise) sent.catch((error: unknown) => (body.ok ? unserializable(peer, rid, error) : undefined))
    return true
  } catch (error) {
    if (body.ok) unserializable(peer, rid, error)
    return false
  }
}

async function managerCall(server: ObjectServer, name: string, args: readonly unknown[]): Promise<unknown> {
  switch (name) {
    case 'create': {
      const [typeid, ...rest] = args
      return server.proxyOf(await server.create(typeid, rest))
    }
    case 'numberOfObjects':
      return server.numberOfObjects()
    case 'hello':
      if (server.closed) throw new ManagerShutdownError()
      return server.mid
    default:
      throw new Fault(`'${name}' is not a method of the manager`)
  }
}

async function serve(peer: Peer, message: CallMessage): Promise<void> {
  // Only what may wait can be cancelled: a primitive's operation, or a call forwarded elsewhere.
  let controller: AbortController | undefined
  const cancellable = (): AbortSignal => {
    controller = new AbortController()
    peer.pending.set(message.rid, controller)
    return controller.signal
  }
  try {
    const mid = message.mid === '' ? (peer.home ?? '') : message.mid
    const target = lookup(mid, message.id)
    const owner = message.owner === undefined ? peer.key : `${peer.key}/${message.owner}`
    let result: unknown
    if (target.kind === 'owned') {
      const { server, record } = target
      if (record === undefined) {
        result = await managerCall(server, message.name, message.p === 1 ? await fromWire(message.args, resolveHere) : message.args)
      } else if (message.op === 1) {
        peer.touched.add(record)
        const signal = cancellable()
        result = await server.invoke(record, message.name, message.args, { signal, as: { key: owner, num: ownerNum(peer, owner) } })
        if (result instanceof Undoable) {
          if (peer.exited || signal.aborted) {
            result.undo()
            reply(peer, message.rid, await errorBody(signal.reason === UNIT_DIED || signal.reason === undefined ? new Error('the unit exited') : signal.reason))
            return
          }
          peer.inflight.set(message.rid, result.undo)
          if (!reply(peer, message.rid, { ok: true, value: result.value, ack: 1 })) {
            peer.inflight.delete(message.rid)
            result.undo()
          }
          return
        }
      } else {
        const args = message.p === 1 ? await fromWire(message.args, resolveHere) : message.args
        result = await server.invoke(record, message.name, args)
      }
    } else if (message.op === 1) {
      peer.touched.add(target.object)
      result = await target.link.request({ mid, id: message.id, name: message.name, args: message.args, op: 1, owner }, cancellable())
    } else {
      result = await target.link.request({ mid, id: message.id, name: message.name, args: message.args, encoded: { p: message.p } }, cancellable())
    }
    let out
    try {
      out = toWire(result)
    } catch (error) {
      throw new Fault(`Unserializable message: ${(error as Error).message}`)
    }
    const body: ReplyBody = out.tokens.length > 0 ? { ok: true, value: out.value, p: 1 } : { ok: true, value: out.value }
    if (reply(peer, message.rid, body) && out.tokens.length > 0) hold(peer, out.tokens)
  } catch (error) {
    reply(peer, message.rid, await errorBody(error === UNIT_DIED ? new Error('the unit exited') : error))
  } finally {
    if (controller !== undefined) peer.pending.delete(message.rid)
  }
}

/** Dispatches one message from `peer`. */
export function dispatch(peer: Peer, message: ClientMessage): void {
  switch (message.t) {
    case 'mgr.call':
      if (!peer.exited) void serve(peer, message)
      break
    case 'mgr.cancel':
      peer.pending.get(message.rid)?.abort(new DOMException('This operation was aborted', 'AbortError'))
      break
    case 'mgr.ack':
      peer.inflight.delete(message.rid)
      break
    case 'mgr.nack':
      peer.inflight.get(message.rid)?.()
      peer.inflight.delete(message.rid)
      break
    case 'mgr.decref': {
      const key = tokenKey(message.mid, message.id)
      const holding = peer.holdings.get(key)
      if (holding !== undefined && (holding.count -= message.n) <= 0) peer.holdings.delete(key)
      break
    }
  }
}

/**
 * The peer ended (`died`: killed, crashed, or a connection lost): its calls are cancelled, and
 * after `delay` (acknowledgements still on their way) what it held is recovered and released.
 */
export function endPeer(peer: Peer, died: boolean, delay: number): Promise<void> {
  if (peer.exited) return Promise.resolve()
  peer.exited = true
  for (const controller of peer.pending.values()) controller.abort(UNIT_DIED)
  return new Promise<void>((resolve) => {
    setTimeout(() => {
      for (const undo of peer.inflight.values()) undo()
      peer.inflight.clear()
      const primitives = new Set<object>(peer.touched)
      for (const holding of peer.holdings.values()) if (isPrimitiveTarget(holding.object)) primitives.add(holding.object)
      const calls: Promise<unknown>[] = []
      for (const object of primitives) {
        for (const [key, num] of peer.owners) calls.push(recover(object, key, num, died))
      }
      void Promise.allSettled(calls).then(() => {
        peer.holdings.clear()
        peer.touched.clear()
        resolve()
      })
    }, delay).unref()
  })
}

function recover(object: object, key: string, num: number, died: boolean): Promise<unknown> {
  const token = tokenOfTarget(object)
  if (token === undefined) return Promise.resolve()
  try {
    const target = lookup(token.mid, token.id)
    if (target.kind === 'owned') {
      if (target.record === undefined || target.server.closed) return Promise.resolve()
      return target.server.invoke(target.record, 'recover', [died], { as: { key, num } }).catch(() => undefined)
    }
    return target.link.request({ mid: token.mid, id: token.id, name: 'recover', args: [died], op: 1, owner: key }).catch(() => undefined)
  } catch {
    return Promise.resolve()
  }
}

const units = new WeakMap<UnitHandle, Peer>()

/** Ends of this unit's own children (their recovery scheduled or running). */
const ending = new Set<Promise<void>>()

// A unit that served its own children finishes recovering what they held before it ends: the
// recovery goes through this unit (to the manager), and waits on an unref'd timer (drain.ts).
addSettle(() => drain(ending))

/**
 * Serves the unit behind `handle`, which was sent `objects` (proxies, managed primitives): called
 * by the handle codec once per message that carries them (a pool worker is given more later).
 */
export function attachUnit(handle: UnitHandle, objects: readonly object[], kind: UnitKind): void {
  let peer = units.get(handle)
  if (peer === undefined) {
    const made = newPeer(kind === 'thread' ? 't' : 'p', (message) => handle.send(message))
    units.set(handle, made)
    handle.onMessage((message) => {
      if (isClientMessage(message)) dispatch(made, message)
    })
    handle.onExit((exit) => {
      const ended = endPeer(made, exit.signal !== null || exit.code !== 0, GRACE_MS)
      // For its runner's join() (see runner.ts).
      addRecovery(handle, ended)
      ending.add(ended)
      void ended.finally(() => ending.delete(ended))
    })
    peer = made
  }
  const tokens: Token[] = []
  for (const object of objects) {
    const token = tokenOf(object)
    if (token !== undefined) tokens.push(token)
  }
  hold(peer, tokens)
}
