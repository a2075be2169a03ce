/**
 * Python's `Pipe(duplex=True)` and its `Connection` objects.
 *
 * @module
 */
import { ConcTypeError, ValueError } from '../errors.js'
import { BufferTooShort } from '../connection/errors.js'
import { type ConnectionTransport, kPoll } from '../connection/transport.js'
import { checkInteger } from '../internal/validate.js'
import { OSError } from './errors.js'
import { BrokenPipeError } from '../os-errors.js'
import { type WaitOptions, parseWait } from './internal/options.js'
import { QueueState } from './internal/queue-state.js'
import type { UnitKind } from '../backend.js'
import { type HandleDescription, kHandle } from '../internal/handles.js'
import { type Description, type OpContext, Primitive, type SharedState, kCopies, kDescribe, refuseInMessage } from './internal/shared.js'
import { registerPrimitive } from './internal/travel.js'
import { sendError } from './internal/send-error.js'
import { localOwner } from './internal/wait.js'

/** One end of a pipe: the direction it reads from and the one it writes to. */
export class ConnectionState implements SharedState {
  constructor(
    readonly inbound: QueueState | undefined,
    readonly outbound: QueueState | undefined,
  ) {}
  static fromShared(shared: unknown): ConnectionState {
    const { inbound, outbound } = shared as { inbound: unknown; outbound: unknown }
    return new ConnectionState(
      inbound === null ? undefined : QueueState.fromShared(inbound),
      outbound === null ? undefined : QueueState.fromShared(outbound),
    )
  }
  toShared(): unknown {
    return { inbound: this.inbound?.toShared() ?? null, outbound: this.outbound?.toShared() ?? null }
  }
  private in(): QueueState {
    if (this.inbound === undefined) throw new OSError('connection is write-only')
    return this.inbound
  }
  private out(): QueueState {
    if (this.outbound === undefined) throw new OSError('connection is read-only')
    return this.outbound
  }
  send(ctx: OpContext, value: unknown): Promise<void> {
    const out = this.out()
    // Every copy of the other end is closed (they are counted on `inbound`, the queue it writes):
    // nobody can read this, and Python's pipes say EPIPE.
    if (this.inbound?.writerGoneEverywhere() === true) return Promise.reject(new BrokenPipeError())
    return out.put(ctx, value, true, undefined)
  }
  recv(ctx: OpContext): Promise<unknown> {
    return this.in().get(ctx, true, undefined, true)
  }
  poll(ctx: OpContext, ms: number | undefined): Promise<boolean> {
    return this.in().poll(ctx, ms)
  }
  /** This owner's copy of the end is closed (see `QueueState.dropWriter`). */
  close(ctx: OpContext): void {
    this.outbound?.dropWriter(ctx, true)
  }
  /** The unit `ctx.owner` was given a copy of the end. */
  given(ctx: OpContext): void {
    this.outbound?.addWriter(ctx)
  }
  /** A message carrying the end waits to be sent (`delta` 1: a queued pool task), or no longer (-1). */
  queued(ctx: OpContext, delta: number): void {
    this.outbound?.queueWriter(ctx, delta === 1 ? 1 : -1)
  }
  /** The unit `ctx.owner` is done with the message that gave it its copy (a pool task). */
  left(ctx: OpContext): void {
    this.outbound?.dropWriter(ctx, false)
  }
  holds(ctx: OpContext): boolean {
    return this.inbound?.holds(ctx) === true || this.outbound?.holds(ctx) === true
  }
  /** The unit ended: its copy of the end is gone, as a process's descriptors close when it exits. */
  recover(ctx: OpContext): void {
    this.inbound?.recover(ctx)
    this.outbound?.recover(ctx)
    this.outbound?.writerGone(ctx)
  }
}

/** The bytes of `buffer` as a `Uint8Array` over the same memory. */
function bytesOf(buffer: ArrayBufferView | ArrayBuffer): Uint8Array {
  return ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer)
}

let setTransport: (connection: Connection, transport: ConnectionTransport) => void

/**
 * A connection over another transport (a socket from `Listener`/`Client`). Internal: the public
 * ways to get one are `Pipe()`, `listener.accept()` and `Client()`.
 */
export function connectionOver<T>(transport: ConnectionTransport): Connection<T> {
  const connection = new Connection<T>(undefined, true, true)
  setTransport(connection as Connection, transport)
  return connection
}

/**
 * One end of a {@link Pipe}, or of a socket connection made by `connection.Listener` /
 * `connection.Client` (Python's `multiprocessing.connection.Connection`): `send()` objects,
 * `recv()` them at the other end; `sendBytes()`/`recvBytes()` for raw bytes. Pass a pipe end to
 * a unit in `args`; two units using the same end at once interleave their messages. A socket
 * connection belongs to the thread or process that made it (connect from the unit instead).
 *
 * @example
 * ```ts
 * const [a, b] = Pipe()
 * await a.send({ hello: 'world' })
 * await b.recv()        // { hello: 'world' }
 * await b.poll(0.1)     // false: nothing more within 0.1 s
 * ```
 */
export class Connection<T = unknown> extends Primitive {
  /** Whether this end can receive. */
  readonly readable: boolean
  /** Whether this end can send. */
  readonly writable: boolean
  #closed = false
  #transport: ConnectionTransport

  static {
    setTransport = (connection, transport) => {
      connection.#transport = transport
    }
  }

  /**
   * A pool task's copy: its `close()` is its own, and the copy goes for good when the task is done
   * (the owner is told then), so closing it does not touch what the worker's other tasks hold.
   */
  readonly #taskCopy: boolean

  /** @internal Use {@link Pipe}. */
  constructor(state: ConnectionState | undefined, readable: boolean, writable: boolean, taskCopy = false) {
    super(() => state ?? new ConnectionState(undefined, undefined))
    this.readable = readable
    this.writable = writable
    this.#taskCopy = taskCopy
    this.#transport = this.#pipeTransport()
  }

  /** A pipe end runs on the primitive's state, in this process's memory or its owner's. */
  #pipeTransport(): ConnectionTransport {
    return {
      kind: 'pipe',
      send: (value) => this.op('send', [value]),
      sendBytes: (bytes) => this.op('send', [bytes]),
      recv: (signal) => this.op('recv', [], signal),
      recvBytes: async (maxlength, signal) => {
        const value = await this.op('recv', [], signal)
        if (!(value instanceof Uint8Array)) throw new OSError('received a message that is not bytes')
        if (maxlength !== undefined && value.length > maxlength) throw new OSError('bad message length')
        return value
      },
      poll: (ms, signal) => this.op<boolean>('poll', [ms], signal),
      close: () => this.op('close'),
      describe: () => '',
    }
  }

  /** Whether `close()` was called on this end. */
  get closed(): boolean {
    return this.#closed
  }

  private check(direction: 'read' | 'write'): void {
    if (this.#closed) throw new OSError('handle is closed')
    if (direction === 'read' && !this.readable) throw new OSError('connection is write-only')
    if (direction === 'write' && !this.writable) throw new OSError('connection is read-only')
  }

  /** Sends an object (any value that can cross to a unit) to the other end. */
  async send(value: T): Promise<void> {
    this.check('write')
    refuseInMessage(value)
    try {
      await this.#transport.send(value)
    } catch (error) {
      throw sendError(error, value, 'Connection.send()')
    }
  }

  /**
   * Receives the next object, waiting for one.
   *
   * @throws {EOFError} when the other end was closed and nothing is left to read
   */
  async recv(options?: { readonly signal?: AbortSignal | undefined }): Promise<T> {
    this.check('read')
    return (await this.#transport.recv(options?.signal)) as T
  }

  /** Sends `size` bytes of `buffer` from `offset` as one message (Python's `send_bytes`). */
  async sendBytes(buffer: ArrayBufferView | ArrayBuffer, offset = 0, size?: number): Promise<void> {
    this.check('write')
    const bytes = bytesOf(buffer)
    checkInteger(offset, 'offset', 0, 'offset is negative')
    if (offset > bytes.length) throw new ValueError('buffer length < offset')
    if (size !== undefined) checkInteger(size, 'size', 0, 'size is negative')
    const end = size === undefined ? bytes.length : offset + size
    if (end > bytes.length) throw new ValueError('buffer length < offset + size')
    await this.#transport.sendBytes(bytes.slice(offset, end))
  }

  /**
   * Receives one message sent with `sendBytes()` (Python's `recv_bytes`).
   *
   * @throws {OSError} `bad message length` when the message is longer than `maxlength`
   */
  async recvBytes(maxlength?: number): Promise<Uint8Array> {
    if (maxlength !== undefined) checkInteger(maxlength, 'maxlength', 0, 'negative maxlength')
    this.check('read')
    return this.#transport.recvBytes(maxlength, undefined)
  }

  /**
   * Receives one message sent with `sendBytes()` into `buffer` at byte `offset`, and returns its
   * length (Python's `recv_bytes_into`).
   *
   * @throws {BufferTooShort} when it does not fit; the message is in the error's `value`
   * @example
   * ```ts
   * const buf = new Uint8Array(1024)
   * const n = await conn.recvBytesInto(buf)
   * console.log(buf.subarray(0, n))
   * ```
   */
  async recvBytesInto(buffer: ArrayBufferView | ArrayBuffer, offset = 0): Promise<number> {
    const bytes = bytesOf(buffer)
    checkInteger(offset, 'offset', 0, 'negative offset')
    if (offset > bytes.length) throw new ValueError('offset too large')
    this.check('read')
    const message = await this.#transport.recvBytes(undefined, undefined)
    if (bytes.length < offset + message.length) throw new BufferTooShort(message)
    bytes.set(message, offset)
    return message.length
  }

  /**
   * Whether there is something to read (or the other end closed): at once with no argument,
   * after up to `timeout` seconds, or, with `null`, waiting as long as it takes.
   */
  async poll(timeout: number | null | WaitOptions = 0): Promise<boolean> {
    this.check('read')
    const o = parseWait(timeout)
    return this.#transport.poll(o.ms, o.signal)
  }

  /** @internal `connection.wait()` */
  [kPoll](ms: number | undefined, signal: AbortSignal | undefined): Promise<boolean> {
    try {
      this.check('read')
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#transport.poll(ms, signal)
  }

  /**
   * Closes this copy of the end. A pipe end given to a unit is a copy, as in Python's processes:
   * the other end's `recv()` raises `EOFError` (once it has read what was sent) when no copy is
   * left open: the program's, and those of the units given the end (a unit's copy also closes
   * when it ends). A `Thread` or `Process` that closes its copy while no other unit holds one ends
   * the pipe even if the program kept its own. A pool task's copy is its own (a `map` chunk's items
   * share one) and goes when the task is done; its `close()` only stops this task from using it.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (!this.#taskCopy) await this.#transport.close()
  }

  /** `await using conn = …` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** @internal A unit given this end holds a copy of it (see `close()`). */
  readonly [kCopies] = true

  /** @internal As Python refuses to pickle a closed connection. */
  override [kHandle](kind: UnitKind): HandleDescription {
    if (this.#closed) throw new OSError('handle is closed')
    return super[kHandle](kind)
  }

  /** @internal */
  override [kDescribe](): Description {
    if (this.#transport.kind !== 'pipe') {
      throw new ConcTypeError(
        'a Connection made by Listener.accept() or Client() cannot be passed to a unit or sent in a message: its socket ' +
          'belongs to the thread or process that made it. Pass the address instead and connect from the unit with connection.Client()',
        { code: 'ERR_CONC_DATA_CLONE' },
      )
    }
    return { type: 'Connection', meta: { readable: this.readable, writable: this.writable } }
  }

  override toString(): string {
    const over = this.#transport.describe()
    return `<Connection ${this.readable ? 'r' : ''}${this.writable ? 'w' : ''}${over === '' ? '' : ` ${over}`}${this.#closed ? ' closed' : ''}>`
  }
}

/**
 * Python's `Pipe(duplex=True)`: two connected {@link Connection}s. With `duplex: false` the
 * first can only receive and the second can only send.
 *
 * @example
 * ```ts
 * const [parentEnd, childEnd] = Pipe()
 * new Process({ target: child, args: [childEnd] }).start()
 * console.log(await parentEnd.recv())
 * ```
 */
export function Pipe<T = unknown>(duplex = true): [Connection<T>, Connection<T>] {
  // Each end reads one queue and writes the other; the copies of an end are counted as the writers
  // of the queue it writes (pipe-ends.ts), which tells the other end when every copy of it is
  // closed: EOFError for its reader, BrokenPipeError for its sender. A one-way pipe has the same
  // two queues, and nothing is sent on the receive-only end's: it only counts that end's copies.
  // The Connections' own flags keep each end to its direction.
  const first = QueueState.create(0, localOwner)
  const second = QueueState.create(0, localOwner, !duplex)
  return [new Connection<T>(new ConnectionState(first, second), true, duplex), new Connection<T>(new ConnectionState(second, first), duplex, true)]
}

registerPrimitive('Connection', import.meta.url, {
  state: ConnectionState.fromShared,
  build: (meta, context) => () => new Connection(undefined, meta.readable as boolean, meta.writable as boolean, context.leased === true),
  perMessage: true,
})
