/**
 * How a process unit and its parent exchange messages: plain JSON messages as lines of text on a
 * pipe beside the IPC channel (fd 4 in the child), and everything else through the IPC channel,
 * which serializes with V8 (`serialization: 'advanced'`).
 *
 * Why not the V8 channel for everything: it makes a `v8.Serializer` for every message sent and a
 * `v8.Deserializer` for every message read, C++ objects that V8 tracks with weak handles, and
 * every young-generation collection of both processes spent as long on those handles as on the
 * heap. One awaited trivial task at a time measured a 99th percentile of 126-131 µs with it and
 * 70-73 µs with JSON (bench/FINDINGS-pools.md, round 14). Binary payloads stay on the V8 channel:
 * as text they would cost about 2.6 ms per MiB each way, and through a pipe of our own 3-12% of
 * the copied-payload rows' rate.
 *
 * **Order.** The two streams are merged back in the order the messages were sent: each line says
 * how many channel messages were sent before it, and a channel message sent after lines the
 * receiver has not been told of comes as `[lines sent before it, message]`. The receiver hands a
 * message over once the messages of the other stream sent before it have been.
 *
 * **Liveness.** The pipe does not keep either process alive (the channel and the child do that),
 * except while a channel message waits for a line.
 *
 * @module
 */
import type { Socket } from 'node:net'
import { plainWire } from './json-wire.js'

/** The child's fd of the pipe for plain messages (after stdin, stdout, stderr and the IPC channel). */
export const PIPE_FD = 4

/** Sends on the channel; calls back once the message is handed over (or failed). */
export type ChannelSend = (message: unknown, callback: (error: Error | null) => void) => void

/** The sending half. */
export class WireOut {
  readonly #channelSend: ChannelSend
  readonly #socket: Socket
  /** Channel messages and lines sent so far. */
  #messages = 0
  #lines = 0
  /** Lines sent before the last channel message: what the receiver has been told. */
  #told = 0

  constructor(channelSend: ChannelSend, socket: Socket) {
    this.#channelSend = channelSend
    this.#socket = socket
  }

  /**
   * Sends `message`: as a JSON line on the pipe when JSON carries it exactly, else through the V8
   * channel. `done` is called once it is handed over.
   */
  send(message: unknown, done: (error: Error | null) => void = ignore): void {
    if (!plainWire(message)) {
      // Through Node's V8 channel, after the lines sent before it. A message V8 cannot serialize
      // throws here, and is not counted: the receiver will not wait for it.
      if (this.#told === this.#lines) this.#channelSend(message, done)
      else {
        this.#channelSend([this.#lines, message], done)
        this.#told = this.#lines
      }
      this.#messages++
      return
    }
    // A JSON line on the pipe, after the channel messages sent before it.
    const text = `${this.#messages >>> 0} ${JSON.stringify(message)}\n`
    this.#lines++
    this.#socket.write(text, (error) => done(error ?? null))
  }

  /** Calls `done` once every line written so far is handed to the kernel. */
  flush(done: () => void): void {
    const socket = this.#socket
    if (socket.writableLength === 0 || socket.destroyed) {
      done()
      return
    }
    // Kept alive until then: the process may have nothing else.
    socket.ref()
    socket.write(Buffer.alloc(0), () => {
      socket.unref()
      done()
    })
  }
}

const ignore = (): void => {}

/** The receiving half: hands every message over in the order it was sent. */
export class WireIn {
  readonly #deliver: (message: unknown) => void
  readonly #socket: Socket
  /** Channel messages not handed over yet, each with the lines that must come before it. */
  readonly #messages: [lines: number, message: unknown][] = []
  /** Lines not handed over yet, each with the channel messages that must come before it. */
  readonly #lines: [messages: number, message: unknown][] = []
  /** Lines that the last channel message with a count said come before the next ones. */
  #linesBefore = 0
  #messagesDone = 0
  #linesDone = 0
  /** Text read after the last whole line. */
  #partial = ''
  #ended = false
  #whenSettled: (() => void)[] = []

  constructor(deliver: (message: unknown) => void, socket: Socket) {
    this.#deliver = deliver
    this.#socket = socket
    // The pipe never keeps the process alive by itself (the channel and the child do that): only
    // while a channel message waits for its lines, and while the end of a sender is awaited.
    socket.unref()
    // Lines of UTF-8 text: the decoder keeps a character that a read cut in two.
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => this.#onData(chunk))
    const end = (): void => {
      this.#ended = true
      this.#settle()
    }
    socket.on('end', end).on('close', end).on('error', end)
  }

  /** A message from the channel. */
  receive(received: unknown): void {
    let message = received
    if (Array.isArray(received) && received.length === 2 && typeof received[0] === 'number') {
      this.#linesBefore = received[0]
      message = received[1]
    }
    if (this.#messages.length === 0 && this.#linesDone >= this.#linesBefore) {
      this.#messagesDone++
      this.#deliver(message)
      this.#drain()
      return
    }
    this.#messages.push([this.#linesBefore, message])
    // A line is due: read it even if nothing else keeps this process alive.
    this.#socket.ref()
    this.#drain()
  }

  /**
   * Calls `done` once the sender is gone and what it sent has been handed over: when the pipe ends
   * (its lines read to the last; the process may have ended before they were), or after `ms` (a
   * process the sender started may hold the pipe open).
   */
  settled(ms: number, done: () => void): void {
    if (this.#ended) {
      done()
      return
    }
    let called = false
    const once = (): void => {
      if (called) return
      called = true
      clearTimeout(timer)
      done()
    }
    const timer = setTimeout(once, ms)
    this.#whenSettled.push(once)
    // Read to the end even if nothing else keeps this process alive.
    this.#socket.ref()
  }

  #onData(chunk: string): void {
    const text = this.#partial + chunk
    let end = text.indexOf('\n')
    if (end < 0) {
      this.#partial = text
      return
    }
    let start = 0
    while (end >= 0) {
      const space = text.indexOf(' ', start)
      const before = Number(text.slice(start, space))
      this.#lines.push([before, JSON.parse(text.slice(space + 1, end))])
      start = end + 1
      end = text.indexOf('\n', start)
    }
    this.#partial = text.slice(start)
    this.#drain()
  }

  /** Hands over what may go now, in the order it was sent. */
  #drain(): void {
    for (;;) {
      const message = this.#messages[0]
      if (message !== undefined && message[0] <= this.#linesDone) {
        this.#messages.shift()
        this.#messagesDone++
        this.#deliver(message[1])
        continue
      }
      const line = this.#lines[0]
      if (line !== undefined && line[0] <= (this.#messagesDone >>> 0)) {
        this.#lines.shift()
        this.#linesDone++
        this.#deliver(line[1])
        continue
      }
      break
    }
    this.#settle()
  }

  #settle(): void {
    if (this.#messages.length === 0 && this.#whenSettled.length === 0) this.#socket.unref()
    if (!this.#ended) return
    const waiting = this.#whenSettled
    this.#whenSettled = []
    for (const done of waiting) done()
  }
}
