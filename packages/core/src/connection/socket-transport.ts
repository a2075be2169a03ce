/**
 * A `Connection` over a stream socket (TCP or Unix), with Python's framing (`frames.ts`). Objects
 * travel as V8 serialization (as the process backend sends them), bytes as bytes.
 *
 * Bounded memory whatever the peer sends: a length above the limit closes the connection before
 * any of its payload is kept; reading pauses while a megabyte of received messages waits to be
 * read (each message counted with its overhead, so a flood of empty ones pauses it too); before
 * authentication only frames of at most 256 bytes are accepted, one at a time, and nothing beyond
 * the frame asked for is parsed.
 *
 * The socket keeps the event loop alive only while someone waits on it (a `recv()`, a `poll()`,
 * a send waiting for the kernel), as a Python program ends whatever sockets it has open.
 */
import type { Socket } from 'node:net'
import { onAbort } from '../internal/abort.js'
import { setLongTimeout } from '../internal/timeout.js'
import { EOFError, OSError } from '../sync/errors.js'
import { BrokenPipeError } from '../os-errors.js'
import { FrameReader, frameHeader } from './frames.js'
import type { ConnectionTransport } from './transport.js'

/** Received messages held before the socket stops reading. */
const HIGH_WATER = 1 << 20
/**
 * What a received message costs beyond its payload (its array and queue slot), counted toward
 * {@link HIGH_WATER}: a flood of empty messages must pause reading too.
 */
const MESSAGE_COST = 64
/** Unparsed bytes held during the handshake before the socket stops reading. */
const HANDSHAKE_BUFFER = 64 * 1024

export interface Serializer {
  serialize(value: unknown): Uint8Array
  deserialize(bytes: Uint8Array): unknown
}

export class SocketTransport implements ConnectionTransport {
  readonly kind = 'socket' as const
  readonly #socket: Socket
  readonly #serializer: Serializer
  readonly #maxMessageSize: number
  readonly #reader = new FrameReader()
  /** Received messages not read yet, oldest at `#head` (shifting a long array would be quadratic). */
  #frames: (Uint8Array | undefined)[] = []
  #head = 0
  /** What `#frames` holds: its payload bytes and {@link MESSAGE_COST} per message. */
  #queued = 0
  /** Until the handshake is over, frames are parsed one at a time, on request, up to 256 bytes. */
  #handshake = true
  #ended = false
  #failure: OSError | undefined
  #closed = false
  #paused = false
  /** Called at the next change: data, end, error, close. */
  readonly #listeners = new Set<() => void>()
  /** Operations in progress that keep the event loop alive. */
  #active = 0
  readonly #peer: string

  constructor(socket: Socket, serializer: Serializer, maxMessageSize: number, peer: string) {
    this.#socket = socket
    this.#serializer = serializer
    this.#maxMessageSize = maxMessageSize
    this.#peer = peer
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('end', () => {
      this.#ended = true
      this.#notify()
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.#failure === undefined && !this.#closed) this.#failure = new OSError(`${error.code ?? 'socket error'}: ${error.message}`, { cause: error })
      this.#notify()
    })
    socket.on('close', () => {
      this.#ended = true
      this.#notify()
    })
    socket.unref()
  }

  describe(): string {
    return this.#peer
  }

  /** The handshake is over: from now on messages up to `maxMessageSize` are read as they come. */
  authenticated(): void {
    this.#handshake = false
    this.#parse()
    this.#flow()
  }

  // --- receiving ---------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#failure !== undefined || this.#closed) return
    this.#reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))
    if (!this.#handshake) this.#parse()
    this.#flow()
    this.#notify()
  }

  /** Moves every whole frame received into the queue; a bad length closes the connection. */
  #parse(): void {
    try {
      for (let frame = this.#reader.next(this.#maxMessageSize); frame !== undefined; frame = this.#reader.next(this.#maxMessageSize)) {
        this.#frames.push(frame)
        this.#queued += frame.length + MESSAGE_COST
      }
    } catch (error) {
      this.#fail(error as OSError)
    }
  }

  /** Pauses reading while enough waits to be read, resumes once it was read. */
  #flow(): void {
    if (this.#failure !== undefined || this.#closed) return
    const full = this.#handshake ? this.#reader.buffered >= HANDSHAKE_BUFFER : this.#queued >= HIGH_WATER
    if (full && !this.#paused) {
      this.#paused = true
      this.#socket.pause()
    } else if (!full && this.#paused) {
      this.#paused = false
      this.#socket.resume()
    }
  }

  /** A protocol error: nothing more is read, the socket is closed, every later read raises. */
  #fail(error: OSError): void {
    this.#failure ??= error
    this.#socket.destroy()
    this.#notify()
  }

  #notify(): void {
    if (this.#listeners.size === 0) return
    const listeners = [...this.#listeners]
    this.#listeners.clear()
    for (const listener of listeners) listener()
  }

  /** Resolves at the next change (data, end, error, close), or after `ms`; rejects on abort. */
  #nextChange(ms: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      let offAbort: (() => void) | undefined
      const cleanUp = (): void => {
        this.#listeners.delete(done)
        if (timer !== undefined) clearTimeout(timer)
        offAbort?.()
      }
      const done = (): void => {
        cleanUp()
        resolve()
      }
      this.#listeners.add(done)
      if (ms !== undefined) timer = setLongTimeout(done, ms)
      if (signal !== undefined) {
        offAbort = onAbort(signal, () => {
          cleanUp()
          reject(signal.reason)
        })
      }
    })
  }

  #hold(): void {
    if (this.#active++ === 0) this.#socket.ref()
  }

  #release(): void {
    if (--this.#active === 0) this.#socket.unref()
  }

  /** The next frame if one is there (parsing one on request during the handshake). */
  #take(limit: number): Uint8Array | undefined {
    if (this.#handshake) {
      let frame: Uint8Array | undefined
      try {
        frame = this.#reader.next(limit, 'before authentication')
      } catch (error) {
        this.#fail(error as OSError)
        throw error
      }
      this.#flow()
      return frame
    }
    const frame = this.#frames[this.#head]
    if (frame !== undefined) {
      this.#frames[this.#head++] = undefined
      if (this.#head === this.#frames.length) {
        this.#frames = []
        this.#head = 0
      } else if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
        this.#frames = this.#frames.slice(this.#head)
        this.#head = 0
      }
      this.#queued -= frame.length + MESSAGE_COST
      this.#flow()
    }
    return frame
  }

  /** Whether a read would not wait. */
  #ready(): boolean {
    return this.#head < this.#frames.length || this.#failure !== undefined || this.#ended || this.#closed
  }

  /** The error a read raises when no frame is left. */
  #endError(): Error {
    if (this.#closed) return new OSError('handle is closed')
    if (this.#failure !== undefined) return new OSError(this.#failure.message, { cause: this.#failure.cause })
    if (this.#reader.partial) {
      this.#failure = new OSError('got end of file during message')
      return this.#failure
    }
    return new EOFError()
  }

  /** Reads one frame of at most `limit` bytes (the limit only matters during the handshake). */
  async readFrame(limit: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    signal?.throwIfAborted()
    this.#hold()
    try {
      for (;;) {
        if (this.#closed) throw new OSError('handle is closed')
        const frame = this.#take(limit)
        if (frame !== undefined) return frame
        if (this.#failure !== undefined || this.#ended) throw this.#endError()
        await this.#nextChange(undefined, signal)
      }
    } finally {
      this.#release()
    }
  }

  async recv(signal: AbortSignal | undefined): Promise<unknown> {
    const frame = await this.readFrame(this.#maxMessageSize, signal)
    try {
      return this.#serializer.deserialize(frame)
    } catch (error) {
      throw new OSError(`received a message that is not a value sent with send(): ${(error as Error).message}`, { cause: error })
    }
  }

  async recvBytes(maxlength: number | undefined, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const frame = await this.readFrame(this.#maxMessageSize, signal)
    if (maxlength !== undefined && frame.length > maxlength) throw new OSError('bad message length')
    return frame
  }

  async poll(ms: number | undefined, signal: AbortSignal | undefined): Promise<boolean> {
    signal?.throwIfAborted()
    if (this.#ready()) return true
    if (ms === 0) return false
    const deadline = ms === undefined ? undefined : performance.now() + ms
    this.#hold()
    try {
      for (;;) {
        const left = deadline === undefined ? undefined : deadline - performance.now()
        if (left !== undefined && left <= 0) return this.#ready()
        await this.#nextChange(left, signal)
        if (this.#ready()) return true
      }
    } finally {
      this.#release()
    }
  }

  // --- sending -----------------------------------------------------------------------------------

  send(value: unknown): Promise<void> {
    return this.#write(this.#serializer.serialize(value))
  }

  sendBytes(bytes: Uint8Array): Promise<void> {
    return this.#write(bytes)
  }

  async #write(payload: Uint8Array): Promise<void> {
    const socket = this.#socket
    if (this.#closed) throw new OSError('handle is closed')
    if (socket.destroyed || !socket.writable) {
      const why = this.#failure?.message ?? 'the peer closed the connection'
      throw new BrokenPipeError(`[Errno 32] Broken pipe: ${why}`, { cause: this.#failure })
    }
    socket.cork()
    socket.write(frameHeader(payload.length))
    const flushed = socket.write(payload)
    socket.uncork()
    if (flushed) return
    // The kernel's buffer is full: wait until it drains, as Python's send() blocks.
    this.#hold()
    try {
      await new Promise<void>((resolve, reject) => {
        const done = (): void => {
          socket.off('drain', done)
          socket.off('close', closed)
          resolve()
        }
        const closed = (): void => {
          socket.off('drain', done)
          reject(new BrokenPipeError(`[Errno 32] Broken pipe: ${this.#failure?.message ?? 'the connection closed while sending'}`))
        }
        socket.once('drain', done)
        socket.once('close', closed)
      })
    } finally {
      this.#release()
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // What was sent still reaches the peer, then the socket is destroyed.
    this.#socket.destroySoon()
    this.#frames = []
    this.#head = 0
    this.#queued = 0
    this.#notify()
  }

  /** Closes at once, without flushing (a peer that failed the handshake). */
  destroy(): void {
    this.#closed = true
    this.#socket.destroy()
    this.#notify()
  }
}
