/**
 * Python's framing of `multiprocessing.connection` on a stream: each message is a 4-byte
 * big-endian signed length and the payload; a payload of 2 GiB or more has the length -1, then
 * an 8-byte unsigned length. The same bytes as CPython's `Connection._send_bytes`, so raw byte
 * messages interoperate with Python.
 *
 * Reading never trusts the peer: a length is checked against the limit before a single byte of
 * the payload is kept, and the payload is collected as it arrives, never allocated up front.
 */
import { OSError } from '../sync/errors.js'

const SHORT_MAX = 0x7fffffff

/** The header for a payload of `length` bytes. */
export function frameHeader(length: number): Uint8Array {
  if (length <= SHORT_MAX) {
    const header = new Uint8Array(4)
    new DataView(header.buffer).setInt32(0, length)
    return header
  }
  const header = new Uint8Array(12)
  const view = new DataView(header.buffer)
  view.setInt32(0, -1)
  view.setBigUint64(4, BigInt(length))
  return header
}

/**
 * The bytes received and not yet parsed, and the frame in progress. `next(limit)` returns the
 * next whole frame, `undefined` while more bytes are needed, and throws `OSError` for a length
 * that is negative or above `limit`.
 */
export class FrameReader {
  readonly #chunks: Uint8Array[] = []
  /** Bytes in `#chunks`. */
  #buffered = 0
  /** The payload length of the frame in progress, once its header was read. */
  #size = -1

  /** Bytes received and not yet returned in a frame. */
  get buffered(): number {
    return this.#buffered
  }

  /** Whether a frame was started (some of its bytes arrived) and is not complete. */
  get partial(): boolean {
    return this.#buffered > 0 || this.#size >= 0
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
  }

  /** The next frame's payload, or `undefined` until it has fully arrived. */
  next(limit: number, what = 'maxMessageSize'): Uint8Array | undefined {
    if (this.#size < 0) {
      if (this.#buffered < 4) return undefined
      const head = this.#peek(4)
      const short = new DataView(head.buffer, head.byteOffset, 4).getInt32(0)
      if (short === -1) {
        if (this.#buffered < 12) return undefined
        const head12 = this.#peek(12)
        const long = new DataView(head12.buffer, head12.byteOffset, 12).getBigUint64(4)
        if (long > BigInt(limit)) throw tooLong(long, limit, what)
        this.#skip(12)
        this.#size = Number(long)
      } else {
        if (short < 0) throw new OSError(`bad message length: the peer sent a negative length (${short})`)
        if (short > limit) throw tooLong(short, limit, what)
        this.#skip(4)
        this.#size = short
      }
    }
    if (this.#buffered < this.#size) return undefined
    const frame = this.#take(this.#size)
    this.#size = -1
    return frame
  }

  /** The first `n` buffered bytes (n <= buffered), copied only when they span chunks. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0] as Uint8Array
    if (first.length >= n) return first.subarray(0, n)
    const out = new Uint8Array(n)
    let at = 0
    for (const chunk of this.#chunks) {
      const part = chunk.subarray(0, n - at)
      out.set(part, at)
      at += part.length
      if (at === n) break
    }
    return out
  }

  #skip(n: number): void {
    this.#take(n)
  }

  /** Removes and returns the first `n` buffered bytes (n <= buffered) as a tight copy or view. */
  #take(n: number): Uint8Array {
    this.#buffered -= n
    const first = this.#chunks[0]
    if (n === 0) return new Uint8Array(0)
    if (first !== undefined && first.length === n) {
      this.#chunks.shift()
      return first
    }
    if (first !== undefined && first.length > n) {
      // Copied, so a small message does not keep a whole socket chunk alive.
      const out = first.slice(0, n)
      this.#chunks[0] = first.subarray(n)
      return out
    }
    const out = new Uint8Array(n)
    let at = 0
    while (at < n) {
      const chunk = this.#chunks[0] as Uint8Array
      const want = n - at
      if (chunk.length <= want) {
        out.set(chunk, at)
        at += chunk.length
        this.#chunks.shift()
      } else {
        out.set(chunk.subarray(0, want), at)
        this.#chunks[0] = chunk.subarray(want)
        at = n
      }
    }
    return out
  }
}

function tooLong(length: number | bigint, limit: number, what: string): OSError {
  return new OSError(`bad message length: the peer announced ${length} bytes, more than the limit of ${limit} (${what})`)
}
