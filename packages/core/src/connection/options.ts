/**
 * The arguments of `Listener` and `Client`: addresses (Python's `address_type`), the authkey,
 * and the limits that keep a listener's memory bounded.
 */
import { ConcTypeError, ValueError } from '../errors.js'
import { checkInteger, show } from '../internal/validate.js'
import { timeoutToMs } from '../internal/timeout.js'

/**
 * Where a listener listens and a client connects: `[host, port]` for TCP (port 0 lets the system
 * choose; `listener.address` then says which), or the path of a Unix socket (on Linux, a name
 * starting with `'\0'` is in the abstract namespace).
 */
export type Address = string | readonly [host: string, port: number]

/** Options both ends take. */
export interface ConnectionOptions {
  /**
   * The shared secret: when set, each side proves to the other that it knows it (Python's HMAC
   * challenge–response) before any message is read. A string is taken as its UTF-8 bytes.
   */
  readonly authkey?: string | Uint8Array | null | undefined
  /**
   * The largest message this side accepts, in bytes (default 128 MiB): a peer announcing a longer
   * one is disconnected before any of it is read. `Infinity` allows up to 4 GiB.
   */
  readonly maxMessageSize?: number | undefined
  /** Seconds the authentication handshake may take (default 20, Python's connection timeout). */
  readonly handshakeTimeout?: number | null | undefined
}

/** Options of `connection.Listener`. */
export interface ListenerOptions extends ConnectionOptions {
  /**
   * The most connections waiting for `accept()`, being authenticated or ready (default 128);
   * further ones are closed at once. Node accepts connections from the system as they come, so
   * this, not the system's queue, is what bounds a listener nobody accepts from.
   */
  readonly backlog?: number | undefined
}

/** Options of `connection.Client`. */
export type ClientOptions = ConnectionOptions

export const DEFAULT_MAX_MESSAGE_SIZE = 128 * 1024 * 1024
const MAX_BUFFER = 2 ** 32
export const DEFAULT_BACKLOG = 128
const DEFAULT_HANDSHAKE_S = 20

export type ParsedAddress = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string }

/** Python's `address_type`, with the checks Python leaves to the socket. */
export function parseAddress(address: unknown): ParsedAddress {
  if (typeof address === 'string') {
    if (address === '') throw new ValueError('a Unix socket path must not be empty')
    return { kind: 'unix', path: address }
  }
  if (Array.isArray(address) && address.length === 2 && typeof address[0] === 'string') {
    const port = checkInteger(address[1], 'port', 0)
    if (port > 65535) throw new ValueError(`port must be 0-65535, got ${port}`)
    return { kind: 'tcp', host: address[0], port }
  }
  throw new ValueError(`address type of ${show(address)} unrecognized (expected [host, port] or a Unix socket path)`)
}

export function formatAddress(address: ParsedAddress): Address {
  return address.kind === 'tcp' ? [address.host, address.port] : address.path
}

/** The authkey's bytes, or `undefined` for none. */
export function parseAuthkey(authkey: unknown): Uint8Array | undefined {
  if (authkey === undefined || authkey === null) return undefined
  if (typeof authkey === 'string') return new TextEncoder().encode(authkey)
  if (authkey instanceof Uint8Array) return new Uint8Array(authkey)
  throw new ConcTypeError(`authkey should be a byte string (a Uint8Array or a string), got ${show(authkey)}`)
}

export interface Limits {
  readonly authkey: Uint8Array | undefined
  readonly maxMessageSize: number
  readonly handshakeMs: number | undefined
}

export function parseLimits(options: ConnectionOptions): Limits {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE
  const maxMessageSize = max === Infinity ? MAX_BUFFER : Math.min(MAX_BUFFER, checkInteger(max, 'maxMessageSize', 1, 'maxMessageSize must be >= 1'))
  const handshake = options.handshakeTimeout === undefined ? DEFAULT_HANDSHAKE_S : options.handshakeTimeout
  return { authkey: parseAuthkey(options.authkey), maxMessageSize, handshakeMs: timeoutToMs(handshake, 'handshakeTimeout') }
}

export function parseBacklog(backlog: unknown): number {
  return backlog === undefined ? DEFAULT_BACKLOG : checkInteger(backlog, 'backlog', 1, 'backlog must be >= 1')
}
