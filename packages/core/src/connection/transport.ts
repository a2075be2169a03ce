/**
 * What a `Connection` runs on. A `Pipe()` end runs on the shared-memory queues of `sync/` (served
 * by the owning process to its children); a connection made by `Listener`/`Client` runs on a
 * socket (`socket-transport.ts`). The public class, its argument checks and Python's messages are
 * the same for both (`sync/pipe.ts`).
 */

/** The operations a `Connection` delegates to its transport, after its own checks. */
export interface ConnectionTransport {
  readonly kind: 'pipe' | 'socket'
  /** Sends one object. */
  send(value: unknown): Promise<void>
  /** Sends one message of raw bytes (Python's `send_bytes`). */
  sendBytes(bytes: Uint8Array): Promise<void>
  /** Receives one object; `EOFError` when the peer closed and nothing is left. */
  recv(signal: AbortSignal | undefined): Promise<unknown>
  /**
   * Receives one message of raw bytes; a message longer than `maxlength` raises
   * `OSError('bad message length')`.
   */
  recvBytes(maxlength: number | undefined, signal: AbortSignal | undefined): Promise<Uint8Array>
  /** Whether a `recv()` would not wait (a message, or the end): now, or within `ms`. */
  poll(ms: number | undefined, signal: AbortSignal | undefined): Promise<boolean>
  close(): Promise<void>
  /** For messages and `toString()`. */
  describe(): string
}

/**
 * The protocol `connection.wait()` uses: `object[kPoll](ms, signal)` resolves `true` once the
 * object is ready (a connection has something to read, a unit has ended), `false` when `ms`
 * passed first (`undefined`: no limit), and rejects with `signal.reason` when aborted.
 */
export const kPoll: unique symbol = Symbol.for('@conc/connection-poll')

export interface Waitable {
  [kPoll](ms: number | undefined, signal: AbortSignal | undefined): Promise<boolean>
}

export function isWaitable(value: unknown): value is Waitable {
  return typeof value === 'object' && value !== null && typeof (value as Partial<Waitable>)[kPoll] === 'function'
}
