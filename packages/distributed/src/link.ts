/**
 * A client's connections to Redis: BullMQ's `Queue` (adds and removes jobs), one `QueueEvents`
 * (the results of every job of this client, from the queue's event stream), and a plain client
 * for @conc's own commands (cancel markers, the cancel channel, reconciliation reads). They are
 * made on the client's first task, and keep the program alive only while it has tasks in Redis,
 * as a local pool's workers do. BullMQ and ioredis are loaded then too: a module that imports
 * `@conc/distributed` (for `isMain`, say) costs a worker host's local worker nothing more.
 */
import type { ConnectionOptions, Queue, QueueEvents } from 'bullmq'
import type { Redis } from 'ioredis'
import { createRedis } from './connection.js'
import type { Keys } from './keys.js'
import type { Settings } from './options.js'

type Listener = (args: Record<string, unknown>) => void

/** The events the client listens to, by name. */
export interface EventHandlers {
  readonly active: Listener
  readonly completed: Listener
  readonly failed: Listener
  readonly removed: Listener
}

interface SocketOwner {
  readonly stream?: { ref?(): void; unref?(): void } | undefined
  on(event: string, fn: () => void): unknown
}

/** The connections, once made. */
export interface Clients {
  readonly queue: Queue
  readonly events: QueueEvents
  readonly commands: Redis
}

export class Link {
  /** Resolves once events are read and jobs can be added. */
  readonly ready: Promise<Clients>
  #clients: Clients | undefined
  #busy = true
  readonly #sockets = new Set<SocketOwner>()
  #closing: Promise<void> | undefined

  constructor(
    readonly settings: Settings,
    readonly keys: Keys,
    handlers: EventHandlers,
    /** Called each time the plain client connects again. */
    onReconnect: () => void,
  ) {
    this.ready = this.#start(handlers, onReconnect)
    this.ready.catch(() => undefined)
  }

  async #start(handlers: EventHandlers, onReconnect: () => void): Promise<Clients> {
    const { connection, queue: name, prefix } = this.settings
    const [bullmq, commands] = await Promise.all([import('bullmq'), createRedis(connection)])
    let first = true
    commands.on('ready', () => {
      if (first) first = false
      else onReconnect()
    })
    this.#track(commands as unknown as SocketOwner)
    const queue = new bullmq.Queue(name, { connection: { ...connection } as ConnectionOptions, prefix })
    queue.on('error', () => undefined)
    // Read the events from the stream's current end: every event of a job added later is read,
    // and none of the history (QueueEvents alone would start at '$' whenever its first read runs).
    const last = (await commands.xrevrange(this.keys.events, '+', '-', 'COUNT', 1)) as [string, string[]][]
    const events = new bullmq.QueueEvents(name, { connection: { ...connection } as ConnectionOptions, prefix, lastEventId: last[0]?.[0] ?? '0-0' })
    events.on('error', () => undefined)
    for (const [event, fn] of Object.entries(handlers)) events.on(event as 'active', fn as never)
    this.#clients = { queue, events, commands }
    await Promise.all([events.waitUntilReady(), queue.waitUntilReady()])
    for (const client of [await events.getBackend().client, await queue.getBackend().client]) this.#track(client as unknown as SocketOwner)
    return this.#clients
  }

  /** The connections, once {@link ready}. */
  get clients(): Clients | undefined {
    return this.#clients
  }

  /** Whether Redis answers now (the plain client is connected). */
  get up(): boolean {
    return this.#clients?.commands.status === 'ready'
  }

  /** While idle, the connections do not keep the program alive. */
  setBusy(busy: boolean): void {
    if (this.#busy === busy) return
    this.#busy = busy
    for (const owner of this.#sockets) this.#apply(owner)
  }

  #track(owner: SocketOwner): void {
    if (this.#sockets.has(owner)) return
    this.#sockets.add(owner)
    // A reconnection makes a new socket.
    owner.on('connect', () => this.#apply(owner))
    this.#apply(owner)
  }

  #apply(owner: SocketOwner): void {
    const stream = owner.stream
    if (this.#busy) stream?.ref?.()
    else stream?.unref?.()
  }

  /** Closes every connection; gives up waiting after `timeoutMs` (Redis may be gone). */
  close(timeoutMs: number): Promise<void> {
    this.#closing ??= (async () => {
      const clients = this.#clients ?? (await Promise.race([this.ready.catch(() => undefined), delay(timeoutMs)]))
      if (clients === undefined) return
      this.setBusy(true)
      const { queue, events, commands } = clients
      await Promise.race([Promise.allSettled([events.close(), queue.close(), commands.quit()]), delay(timeoutMs)])
      events.disconnect().catch(() => undefined)
      queue.disconnect().catch(() => undefined)
      commands.disconnect()
      this.setBusy(false)
    })()
    return this.#closing
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref())
}
