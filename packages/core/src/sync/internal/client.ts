/**
 * The child side of a primitive owned by a parent process: each operation is a request over the
 * unit channel, answered by the owner's {@link SyncServer}. Errors come back as the same classes.
 */
import { deserializeThrown, loadErrorClasses } from '../../internal/error-rebuild.js'
import { onAbort } from '../../internal/abort.js'
import type { SerializedThrown } from '../../internal/error-transport.js'
import type { UnitChannel } from '../../unit.js'
import type { Backend, CallContext, SharedState } from './shared.js'

export interface CallMessage {
  readonly t: 'sync.call'
  readonly rid: number
  readonly id: number
  readonly op: string
  readonly args: readonly unknown[]
  /** The owner this request acts for, below the unit that sent it (a forwarded request). */
  readonly owner?: string | undefined
}
export interface CancelMessage {
  readonly t: 'sync.cancel'
  readonly rid: number
}
export interface AckMessage {
  readonly t: 'sync.ack' | 'sync.nack'
  readonly rid: number
}
export type ReplyBody =
  | { readonly ok: true; readonly value: unknown; readonly ack: boolean }
  | { readonly ok: false; readonly error: SerializedThrown }
export type ReplyMessage = { readonly t: 'sync.reply'; readonly rid: number } & ReplyBody

/** After these succeed, a child's copies of shared values are refreshed (see {@link keepFresh}). */
const ACQUIRE = new Set(['acquire', 'wait'])
interface Copy {
  load(): Promise<unknown>
}
/** The copies refreshed after each acquire or wait: those a live message (args, a running task) carries. */
const fresh = new Set<Copy>()
const copies = new WeakSet<object>()

/**
 * A `Value` or `Array` owned by the parent keeps a copy in the child, refreshed after each
 * acquire or wait of any primitive (release consistency: what another unit wrote before it
 * released a lock or notified is seen by the unit that acquired or was woken).
 */
export function keepFresh(copy: Copy): void {
  copies.add(copy)
  fresh.add(copy)
}

/**
 * The task that brought `object` finished (see travel.ts): its copy, if it has one, is no longer
 * refreshed on every acquire (each refresh is a round trip); `load()` still reads it.
 */
export function pauseFresh(object: object): void {
  fresh.delete(object as Copy)
}

/**
 * A later task brings `object` again: its copy, paused meanwhile, is refreshed again from now on.
 * Resolves once it is up to date (undefined when there is nothing to do).
 */
export function resumeFresh(object: object): Promise<unknown> | undefined {
  if (!copies.has(object) || fresh.has(object as Copy)) return undefined
  fresh.add(object as Copy)
  return (object as Copy).load()
}

/** Operations that do not wait: a unit finishes only once they have been applied. */
const FIRE_AND_FORGET = new Set(['store', 'storeMany', 'release', 'set', 'clear', 'notify', 'abort', 'reset', 'taskDone', 'close', 'trip', 'put', 'send'])

interface Pending {
  resolve(value: unknown): void
  reject(error: unknown): void
  signal: AbortSignal | undefined
  /** Unregisters the cancel sent on abort, once the call has its answer. */
  offAbort: (() => void) | undefined
}

export class SyncClient {
  #next = 0
  readonly #pending = new Map<number, Pending>()
  readonly #writes = new Set<Promise<unknown>>()

  constructor(private readonly channel: UnitChannel) {
    channel.onMessage((message) => {
      if (message.t === 'sync.reply') this.#reply(message as ReplyMessage)
    })
  }

  #send(message: CallMessage | CancelMessage | AckMessage): void {
    this.channel.send(message)
  }

  #reply(message: ReplyMessage): void {
    const pending = this.#pending.get(message.rid)
    if (pending === undefined) return
    this.#pending.delete(message.rid)
    pending.offAbort?.()
    const aborted = pending.signal?.aborted === true
    if (message.ok) {
      // An item handed over must be acknowledged, or given back if the caller gave up meanwhile.
      if (message.ack) this.#send({ t: aborted ? 'sync.nack' : 'sync.ack', rid: message.rid })
      if (aborted) pending.reject(pending.signal?.reason)
      else pending.resolve(message.value)
    } else if (aborted) {
      pending.reject(pending.signal?.reason)
    } else {
      // The owner's error, as the same class (registered @conc classes need no import).
      const error = message.error
      const classes = loadErrorClasses(error)
      if (classes === undefined) pending.reject(deserializeThrown(error))
      else void classes.then(() => pending.reject(deserializeThrown(error)))
    }
  }

  request(id: number, op: string, args: readonly unknown[], ctx: CallContext | undefined): Promise<unknown> {
    const signal = ctx?.signal
    if (signal?.aborted) return Promise.reject(signal.reason)
    const rid = ++this.#next
    let pending!: Pending
    const promise = new Promise<unknown>((resolve, reject) => {
      pending = { resolve, reject, signal, offAbort: undefined }
      this.#pending.set(rid, pending)
    })
    try {
      this.#send({ t: 'sync.call', rid, id, op, args, owner: ctx?.as?.key })
    } catch (error) {
      // Nothing was sent (an argument cannot be serialized): nothing will answer.
      this.#pending.delete(rid)
      return Promise.reject(error)
    }
    if (signal !== undefined) pending.offAbort = onAbort(signal, () => this.#send({ t: 'sync.cancel', rid }))
    if (ACQUIRE.has(op) && fresh.size > 0) {
      return promise.then(async (value) => {
        await Promise.all([...fresh].map((copy) => copy.load()))
        return value
      })
    }
    if (FIRE_AND_FORGET.has(op)) {
      const settled: Promise<unknown> = promise.then(
        () => this.#writes.delete(settled),
        () => this.#writes.delete(settled),
      )
      this.#writes.add(settled)
    }
    return promise
  }

  /** Waits until every operation that does not wait has been applied by its owner. */
  async settle(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes])
  }
}

let client: SyncClient | undefined

/** The unit's client, created on first use over its channel. */
export function clientFor(channel: UnitChannel): SyncClient {
  client ??= new SyncClient(channel)
  return client
}

export function currentClient(): SyncClient | undefined {
  return client
}

/** A primitive whose state lives in the parent process. */
export class RemoteBackend implements Backend {
  readonly state: SharedState | undefined = undefined
  constructor(
    private readonly client: SyncClient,
    readonly id: number,
  ) {}
  call(op: string, args: readonly unknown[], ctx?: CallContext): Promise<unknown> {
    return this.client.request(this.id, op, args, ctx)
  }
}
