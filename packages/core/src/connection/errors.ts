/**
 * The errors of `multiprocessing.connection`, named as Python names them.
 *
 * @module
 */
import { ConcError, registerConcErrors } from '../errors.js'

/**
 * The HMAC challenge–response with the `authkey` failed: a wrong key on either side, or a peer
 * that does not speak the protocol (Python's `multiprocessing.AuthenticationError`). Raised on
 * both sides: by `Client()` and by `listener.accept()`.
 *
 * @example
 * ```ts
 * try {
 *   await connection.Client(address, { authkey: 'wrong' })
 * } catch (e) {
 *   if (e instanceof AuthenticationError) console.log(e.message) // digest sent was rejected
 * }
 * ```
 */
export class AuthenticationError extends ConcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_AUTHENTICATION' })
  }
}

/**
 * `recvBytesInto()` was given a buffer too small for the message (Python's
 * `multiprocessing.BufferTooShort`). The message was consumed: it is in {@link BufferTooShort.value}.
 *
 * @example
 * ```ts
 * try { await conn.recvBytesInto(new Uint8Array(4)) } catch (e) { if (e instanceof BufferTooShort) use(e.value) }
 * ```
 */
export class BufferTooShort extends ConcError {
  /** The whole message that did not fit. */
  readonly value: Uint8Array
  constructor(value: Uint8Array, options?: { cause?: unknown }) {
    super(`the buffer is too short for a message of ${value.length} bytes`, { ...options, code: 'ERR_CONC_BUFFER_TOO_SHORT' })
    this.value = value
  }
}

registerConcErrors(AuthenticationError, BufferTooShort)
