/**
 * Python's `Pipe(duplex=True)` and its `Connection` objects.
 *
 * @module
 */
import { ValueError } from '../errors.js'
import { checkInteger } from '../internal/validate.js'
import { OSError } from './errors.js'
import { type WaitOptions, parseWait } from './internal/options.js'
import { QueueState } from './internal/queue-state.js'
import { type Description, type OpContext, Primitive, type SharedState, kDescribe, refuseInMessage } from './internal/shared.js'
import { registerPrimitive } from './internal/travel.js'
import { sendError } from './internal/send-error.js'

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
    return this.out().put(ctx, value, true, undefined)
  }
  recv(ctx: OpContext): Promise<unknown> {
    return this.in().get(ctx, true, undefined, true)
  }
  poll(ctx: OpContext, ms: number | undefined): Promise<boolean> {
    return this.in().poll(ctx, ms)
  }
  close(ctx: OpContext): void {
    this.outbound?.closeWriter(ctx)
  }
  recover(ctx: OpContext): void {
    this.inbound?.recover(ctx)
    this.outbound?.recover(ctx)
  }
}

/**
 * One end of a {@link Pipe}: `send()` objects, `recv()` them at the other end. Pass it to a unit
 * in `args`; two units using the same end at once interleave their messages.
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

  /** @internal Use {@link Pipe}. */
  constructor(state: ConnectionState | undefined, readable: boolean, writable: boolean) {
    super(() => state ?? new ConnectionState(undefined, undefined))
    this.readable = readable
    this.writable = writable
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
      await this.op('send', [value])
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
    return this.op<T>('recv', [], options?.signal)
  }

  /** Sends `size` bytes of `buffer` from `offset` as one message (Python's `send_bytes`). */
  async sendBytes(buffer: ArrayBufferView | ArrayBuffer, offset = 0, size?: number): Promise<void> {
    this.check('write')
    const bytes = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer)
    checkInteger(offset, 'offset', 0, 'offset is negative')
    if (offset > bytes.length) throw new ValueError('buffer length < offset')
    if (size !== undefined) checkInteger(size, 'size', 0, 'size is negative')
    const end = size === undefined ? bytes.length : offset + size
    if (end > bytes.length) throw new ValueError('buffer length < offset + size')
    await this.op('send', [bytes.slice(offset, end)])
  }

  /** Receives one message sent with `sendBytes()` (Python's `recv_bytes`). */
  async recvBytes(maxlength?: number): Promise<Uint8Array> {
    if (maxlength !== undefined) checkInteger(maxlength, 'maxlength', 0, 'negative maxlength')
    const value = await this.recv()
    if (!(value instanceof Uint8Array)) throw new OSError('received a message that is not bytes')
    if (maxlength !== undefined && value.length > maxlength) throw new OSError('bad message length')
    return value
  }

  /**
   * Whether there is something to read (or the other end closed): at once with no argument,
   * after up to `timeout` seconds, or, with `null`, waiting as long as it takes.
   */
  async poll(timeout: number | null | WaitOptions = 0): Promise<boolean> {
    this.check('read')
    const o = parseWait(timeout)
    return this.op<boolean>('poll', [o.ms], o.signal)
  }

  /**
   * Closes this end: the other end's `recv()` raises `EOFError` once it has read what was sent.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.op('close')
  }

  /** `await using conn = …` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** @internal */
  override [kDescribe](): Description {
    return { type: 'Connection', meta: { readable: this.readable, writable: this.writable } }
  }

  override toString(): string {
    return `<Connection ${this.readable ? 'r' : ''}${this.writable ? 'w' : ''}${this.#closed ? ' closed' : ''}>`
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
  const forward = QueueState.create(0)
  if (!duplex) {
    return [new Connection<T>(new ConnectionState(forward, undefined), true, false), new Connection<T>(new ConnectionState(undefined, forward), false, true)]
  }
  const backward = QueueState.create(0)
  return [new Connection<T>(new ConnectionState(backward, forward), true, true), new Connection<T>(new ConnectionState(forward, backward), true, true)]
}

registerPrimitive('Connection', import.meta.url, {
  state: ConnectionState.fromShared,
  build: (meta) => () => new Connection(undefined, meta.readable as boolean, meta.writable as boolean),
})
