/**
 * The copies of a pipe direction's sending end, in shared memory: which owners hold one, as a
 * process holds a file descriptor in Python. The creator holds the first; each unit given the end
 * holds one (runner args, initargs, a pool task) until it closes it, ends, or is done with the
 * task; and an owner with messages that carry the end waiting to be sent (queued pool tasks)
 * keeps it open for them. The reader sees the end once no owner holds anything, or when a unit
 * closes the last copy besides the creator's own (see `close` in docs/connection.md).
 *
 * Layout (`Int32Array`): the number of entries, the creator's owner id, then one entry per owner:
 * its id, whether its own copy is open, and how many of its queued messages carry the end. The
 * caller (the direction's `QueueState`) holds the queue's mutex around every call; each call
 * returns whether the end is now closed.
 */
import { growable } from '../../internal/process-shared.js'

const COUNT = 0
const CREATOR = 1
const FIRST = 2
const SIZE = 3
const OWNER = 0
const OPEN = 1
const QUEUED = 2

/** Owners tracked at once; a copy beyond (never expected) is not counted. */
const MAX_BYTES = 64 * 1024

/** The memory for an end whose only copy is `creator`'s. */
export function createEnds(creator: number): SharedArrayBuffer {
  const memory = growable((FIRST + 4 * SIZE) * 4, MAX_BYTES)
  const ends = new Int32Array(memory)
  ends[COUNT] = 1
  ends[CREATOR] = creator
  ends[FIRST + OWNER] = creator
  ends[FIRST + OPEN] = 1
  return memory
}

export class PipeEnds {
  readonly ends: Int32Array
  constructor(readonly memory: SharedArrayBuffer) {
    this.ends = new Int32Array(memory)
  }

  #find(owner: number): number {
    const ends = this.ends
    const count = ends[COUNT]!
    for (let i = 0, at = FIRST; i < count; i++, at += SIZE) if (ends[at + OWNER] === owner) return at
    return -1
  }

  /** `owner`'s entry, made if it has none; -1 when the memory is full. */
  #entry(owner: number): number {
    const found = this.#find(owner)
    if (found !== -1) return found
    const ends = this.ends
    const count = ends[COUNT]!
    const at = FIRST + count * SIZE
    if ((at + SIZE) * 4 > ends.byteLength) {
      if ((at + SIZE) * 4 > MAX_BYTES) return -1
      ;(this.memory as unknown as { grow(length: number): void }).grow(Math.min(MAX_BYTES, ends.byteLength * 2))
    }
    ends[at + OWNER] = owner
    ends[at + OPEN] = 0
    ends[at + QUEUED] = 0
    ends[COUNT] = count + 1
    return at
  }

  /** Removes the entry at `at` if nothing is left in it. */
  #prune(at: number): void {
    const ends = this.ends
    if (ends[at + OPEN] !== 0 || ends[at + QUEUED] !== 0) return
    const last = FIRST + (ends[COUNT]! - 1) * SIZE
    for (let k = 0; k < SIZE; k++) ends[at + k] = ends[last + k]!
    ends[COUNT] = ends[COUNT]! - 1
  }

  /** The end is closed once nobody holds anything in it. */
  #empty(): boolean {
    return this.ends[COUNT] === 0
  }

  /** Whether no owner holds anything: no copy open anywhere, the creator's included. */
  none(): boolean {
    return Atomics.load(this.ends, COUNT) === 0
  }

  /** `owner` was given a copy. */
  given(owner: number): boolean {
    const at = this.#entry(owner)
    if (at !== -1) this.ends[at + OPEN] = 1
    return false
  }

  /** One more (1) or one fewer (-1) message of `owner` carrying the end waits to be sent. */
  queued(owner: number, delta: 1 | -1): boolean {
    const at = delta === 1 ? this.#entry(owner) : this.#find(owner)
    if (at === -1) return false
    const ends = this.ends
    ends[at + QUEUED] = Math.max(0, ends[at + QUEUED]! + delta)
    this.#prune(at)
    return this.#empty()
  }

  /**
   * `owner`'s copy is gone: closed by it (`explicit`), or it finished the task that carried it.
   * A unit's explicit close of the last copy besides the creator's closes the end, unless the
   * creator still has messages carrying it queued.
   */
  dropped(owner: number, explicit: boolean): boolean {
    const ends = this.ends
    const at = this.#find(owner)
    if (at !== -1) {
      ends[at + OPEN] = 0
      this.#prune(at)
    } else if (!explicit) {
      return false
    }
    if (this.#empty()) return true
    const creator = ends[CREATOR]!
    return explicit && owner !== creator && ends[COUNT] === 1 && ends[FIRST + OWNER] === creator && ends[FIRST + QUEUED] === 0
  }

  /** `owner` ended: its copy goes, and so do its messages that were never sent. */
  gone(owner: number): boolean {
    const at = this.#find(owner)
    if (at === -1) return false
    this.ends[at + OPEN] = 0
    this.ends[at + QUEUED] = 0
    this.#prune(at)
    return this.#empty()
  }
}
