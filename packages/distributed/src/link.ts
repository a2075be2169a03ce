/**
 * A client's connections to Redis: BullMQ's `Queue` (adds and removes jobs), one `QueueEvents`
 * (the results of every job of this client, from the queue's event stream), and a plain client
 * for @conc's own commands (cancel markers, the cancel channel, reconciliation reads). They are
 * made on first use, and keep the program alive only while the client has tasks in Redis, as a
 * local pool's workers do.
 */
import { type ConnectionOptions, Queue, QueueEvents } from 'bullmq'
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

export class Link {
  readonly queue: Queue
  readonly commands: Redis
  /** Resolves once events are read and jobs can be added. */
  readonly ready: Promise<void>
  #events: QueueEvents | undefined
  #busy = true
  readonly #sockets = new Set<SocketOwner>()
  #closing: Promise<void> | undefined

  constructor(
    readonly settings: Settings,
    readonly keys: Keys,
    handlers: EventHandlers,
    /** Called each time the plain client (re)connects, after the first time. */
    onReconnect: () => void,
  ) {
    const { connection, queue, prefix } = settings
    this.commands = createRedis(connection)
    this.commands.on('error', () => undefined)
    let first = true
    this.commands.on('ready', () => {
      if (first) first = false
      else onReconnect()
    })
    this.#track(this.commands as unknown as SocketOwner)
    this.queue = new Queue(queue, { connection: { ...connection } as ConnectionOptions, prefix })
    this.queue.on('error', () => undefined)
    this.ready = this.#start(handlers)
    this.ready.catch(() => undefined)
  }

  async #start(handlers: EventHandlers): Promise<void> {
    const { queue, prefix, connection } = this.settings
    // Read the events from the stream's current end: every event of a job added later is read,
    // and none of the history (QueueEvents alone would start at '$' whenever its first read runs).
    const last = (await this.commands.xrevrange(this.keys.events, '+', '-', 'COUNT', 1)) as [string, string[]][]
    const events = new QueueEvents(queue, { connection: { ...connection } as ConnectionOptions, prefix, lastEventId: last[0]?.[0] ?? '0-0' })
    this.#events = events
    events.on('error', () => undefined)
    for (const [name, fn] of Object.entries(handlers)) events.on(name as 'active', fn as never)
    await Promise.all([events.waitUntilReady(), this.queue.waitUntilReady()])
    for (const client of [await events.getBackend().client, await this.queue.getBackend().client]) this.#track(client as unknown as SocketOwner)
  }

  /** Whether Redis answers now (the plain client is connected). */
  get up(): boolean {
    return this.commands.status === 'ready'
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
      this.setBusy(true)
      const closing = Promise.allSettled([this.#events?.close(), this.queue.close(), this.commands.quit()])
      const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())
      await Promise.race([closing, timer])
      this.#events?.disconnect().catch(() => undefined)
      this.queue.disconnect().catch(() => undefined)
      this.commands.disconnect()
      this.setBusy(false)
    })()
    return this.#closing
  }
}
