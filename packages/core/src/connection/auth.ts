/**
 * Python's authentication of `multiprocessing.connection` (CPython 3.12+ `deliver_challenge` /
 * `answer_challenge`), byte for byte: an HMAC challenge–response with the shared `authkey`, run in
 * both directions. The server sends `#CHALLENGE#{sha256}` and 40 random bytes; the client answers
 * `{sha256}` and the HMAC of that message; the server answers `#WELCOME#` or `#FAILURE#`; then the
 * roles swap. Legacy peers (Python 3.11 and older: a 20-byte challenge, a bare 16-byte HMAC-MD5)
 * are understood as Python understands them. Every handshake message is read with a 256-byte
 * limit, so nothing larger is read before the peer is authenticated.
 */
import type * as Crypto from 'node:crypto'
import { AuthenticationError } from './errors.js'

const CHALLENGE = new TextEncoder().encode('#CHALLENGE#')
const WELCOME = new TextEncoder().encode('#WELCOME#')
const FAILURE = new TextEncoder().encode('#FAILURE#')
/** Bytes of randomness in a challenge (Python's `MESSAGE_LENGTH`). */
const MESSAGE_LENGTH = 40
/** The largest handshake message read (Python's `recv_bytes(256)`). */
export const HANDSHAKE_LIMIT = 256
/** Python's `_ALLOWED_DIGESTS`, and the name Node's crypto knows each by. */
const DIGESTS = new Map([
  ['md5', 'md5'],
  ['sha256', 'sha256'],
  ['sha384', 'sha384'],
  ['sha3_256', 'sha3-256'],
  ['sha3_384', 'sha3-384'],
])
const MAX_DIGEST_NAME = 8
/** A legacy (HMAC-MD5 only) server's challenge, and a legacy client's response. */
const LEGACY_LENGTHS = new Set([20, 16])

/** What the handshake needs of a connection: raw byte messages. */
export interface HandshakeChannel {
  readFrame(limit: number, signal: AbortSignal | undefined): Promise<Uint8Array>
  sendBytes(bytes: Uint8Array): Promise<void>
}

const latin1 = new TextDecoder('latin1')

/** Python's `repr()` of a bytes value, shortened: for messages about what the peer sent. */
function repr(bytes: Uint8Array): string {
  let out = "b'"
  for (const byte of bytes.subarray(0, 64)) {
    if (byte === 0x27 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte)
    else out += `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return `${out}'${bytes.length > 64 ? `... (${bytes.length} bytes)` : ''}`
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte)
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && startsWith(a, b)
}

/** Python's `_get_digest_name_and_payload`: `''` for the legacy protocol. */
function digestNameAndPayload(message: Uint8Array): [string, Uint8Array] {
  if (LEGACY_LENGTHS.has(message.length)) return ['', message]
  if (message[0] === 0x7b /* { */) {
    // Python: message.find(b'}', 1, _MAX_DIGEST_LEN + 2); here relative to index 1.
    const curly = message.subarray(1, MAX_DIGEST_NAME + 2).indexOf(0x7d /* } */) + 1
    if (curly > 0) {
      const name = latin1.decode(message.subarray(1, curly))
      if (DIGESTS.has(name)) return [name, message.subarray(curly + 1)]
    }
  }
  throw new AuthenticationError(`unsupported message length, missing digest prefix, or unsupported digest: message=${repr(message)}`)
}

function hmac(crypto: typeof Crypto, name: string, authkey: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHmac(DIGESTS.get(name) ?? name, authkey).update(message).digest())
}

/** Python's `_create_response`. */
function createResponse(crypto: typeof Crypto, authkey: Uint8Array, message: Uint8Array): Uint8Array {
  let name = digestNameAndPayload(message)[0]
  if (name === '') {
    try {
      return hmac(crypto, 'md5', authkey, message)
    } catch {
      // No MD5 (FIPS mode): answer with the modern protocol, as Python does.
      name = 'sha256'
    }
  }
  return concat(new TextEncoder().encode(`{${name}}`), hmac(crypto, name, authkey, message))
}

/** Python's `_verify_challenge`. */
function verify(crypto: typeof Crypto, authkey: Uint8Array, message: Uint8Array, response: Uint8Array): void {
  const [responseName, mac] = digestNameAndPayload(response)
  const name = responseName || 'md5'
  let expected: Uint8Array
  try {
    expected = hmac(crypto, name, authkey, message)
  } catch (error) {
    throw new AuthenticationError(`response_digest='${name}' unsupported`, { cause: error })
  }
  if (expected.length !== mac.length) throw new AuthenticationError(`expected '${name}' of length ${expected.length} got ${mac.length}`)
  if (!crypto.timingSafeEqual(expected, mac)) throw new AuthenticationError('digest received was wrong')
}

/** The server's half first (Python's `deliver_challenge`): checks that the peer knows the key. */
export async function deliverChallenge(channel: HandshakeChannel, authkey: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
  const crypto = await import('node:crypto')
  const message = concat(new TextEncoder().encode('{sha256}'), new Uint8Array(crypto.randomBytes(MESSAGE_LENGTH)))
  await channel.sendBytes(concat(CHALLENGE, message))
  const response = await channel.readFrame(HANDSHAKE_LIMIT, signal)
  try {
    verify(crypto, authkey, message, response)
  } catch (error) {
    await channel.sendBytes(FAILURE).catch(() => {})
    throw error
  }
  await channel.sendBytes(WELCOME)
}

/** The other half (Python's `answer_challenge`): proves to the peer that this side knows the key. */
export async function answerChallenge(channel: HandshakeChannel, authkey: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
  const crypto = await import('node:crypto')
  const received = await channel.readFrame(HANDSHAKE_LIMIT, signal)
  if (!startsWith(received, CHALLENGE)) throw new AuthenticationError(`Protocol error, expected challenge: message=${repr(received)}`)
  const message = received.subarray(CHALLENGE.length)
  if (message.length < 20) throw new AuthenticationError(`challenge too short: ${message.length} bytes`)
  await channel.sendBytes(createResponse(crypto, authkey, message))
  const response = await channel.readFrame(HANDSHAKE_LIMIT, signal)
  if (!equal(response, WELCOME)) throw new AuthenticationError('digest sent was rejected')
}
