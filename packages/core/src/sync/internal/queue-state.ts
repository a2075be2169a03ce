/**
 * The state behind `Queue`, `JoinableQueue`, `SimpleQueue` and each direction of a `Pipe`: a FIFO
 * of V8-serialized records in a growable `SharedArrayBuffer`, with a few control words under a
 * short internal mutex. An item is committed by the last stores of the critical section, so a
 * consumer that is waiting (or stopped before it took the mutex) never consumes anything.
 */
import type * as V8 from 'node:v8'
import { ValueError } from '../../errors.js'
import { EOFError, Empty, Full } from '../errors.js'
import { type OpContext, type SharedState, Undoable } from './shared.js'
import { PipeEnds, createEnds } from './pipe-ends.js'
import { bump, deadlineOf, lockWord, recoverWord, unlockWord, waitChange } from './wait.js'

/** node:v8, loaded with the first queue operation rather than when @conc is imported. */
let v8module: typeof V8 | undefined
const v8 = (): typeof V8 => (v8module ??= process.getBuiltinModule('node:v8'))

const MUTEX = 0
const SEQ = 1
const HEAD = 2
const TAIL = 3
const COUNT = 4
const MAXSIZE = 5
const UNFINISHED = 6
const WRITER_CLOSED = 7

const INITIAL_BYTES = 64 * 1024
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => SharedArrayBuffer
/** Address space reserved per queue; memory is only used as the queue grows. */
const MAX_BYTES = 1024 * 1024 * 1024

export interface QueueShared {
  readonly ctl: SharedArrayBuffer
  readonly data: SharedArrayBuffer
  /** A pipe direction's copies of its sending end (pipe-ends.ts). */
  readonly ends?: SharedArrayBuffer
}

export class QueueState implements SharedState {
  readonly ctl: Int32Array
  readonly bytes: Uint8Array
  readonly view: DataView
  readonly ends: PipeEnds | undefined
  constructor(readonly shared: QueueShared) {
    this.ctl = new Int32Array(shared.ctl)
    this.bytes = new Uint8Array(shared.data)
    this.view = new DataView(shared.data)
    this.ends = shared.ends === undefined ? undefined : new PipeEnds(shared.ends)
  }
  /**
   * A queue; with `creator` (an owner id), a pipe direction whose sending end starts as one copy,
   * the creator's. `countOnly`: nothing is ever sent on it, it only counts the copies of that end
   * (the receive-only end of `Pipe(false)`): no data memory.
   */
  static create(maxsize: number, creator?: number, countOnly = false): QueueState {
    const data = countOnly ? new SharedArrayBuffer(0) : new GrowableSharedArrayBuffer(INITIAL_BYTES, { maxByteLength: MAX_BYTES })
    const ends = creator === undefined ? undefined : createEnds(creator)
    const state = new QueueState({ ctl: new SharedArrayBuffer(32), data, ...(ends === undefined ? {} : { ends }) })
    state.ctl[MAXSIZE] = maxsize > 0 ? maxsize : 0
    return state
  }
  static fromShared(shared: unknown): QueueState {
    return new QueueState(shared as QueueShared)
  }
  toShared(): unknown {
    return this.shared
  }

  /** Makes room for `need` bytes at the tail: compacts, then grows. Caller holds the mutex. */
  private ensure(need: number): void {
    const ctl = this.ctl
    let head = ctl[HEAD]!
    let tail = ctl[TAIL]!
    if (tail + need <= this.shared.data.byteLength) return
    if (head > 0) {
      this.bytes.copyWithin(0, head, tail)
      tail -= head
      head = 0
      Atomics.store(ctl, HEAD, 0)
      Atomics.store(ctl, TAIL, tail)
    }
    const size = this.shared.data.byteLength
    if (tail + need <= size) return
    const wanted = Math.max(size * 2, tail + need)
    if (tail + need > MAX_BYTES) throw new ValueError(`a queue holds at most ${MAX_BYTES} bytes`)
    ;(this.shared.data as unknown as { grow(length: number): void }).grow(Math.min(MAX_BYTES, wanted))
  }

  private append(record: Uint8Array): void {
    this.ensure(4 + record.length)
    const tail = this.ctl[TAIL]!
    this.view.setUint32(tail, record.length)
    this.bytes.set(record, tail + 4)
    Atomics.store(this.ctl, TAIL, tail + 4 + record.length)
    Atomics.add(this.ctl, COUNT, 1)
  }

  private take(): Uint8Array {
    const head = this.ctl[HEAD]!
    const length = this.view.getUint32(head)
    const record = this.bytes.slice(head + 4, head + 4 + length)
    if (Atomics.sub(this.ctl, COUNT, 1) === 1) {
      Atomics.store(this.ctl, HEAD, 0)
      Atomics.store(this.ctl, TAIL, 0)
    } else {
      Atomics.store(this.ctl, HEAD, head + 4 + length)
    }
    return record
  }

  /** Puts a record back at the front: an item handed to a unit that died before it arrived. */
  private unget(ctx: OpContext, record: Uint8Array): void {
    const ctl = this.ctl
    lockWord(ctl, MUTEX, ctx.owner)
    try {
      const need = 4 + record.length
      if (ctl[HEAD]! < need) {
        // Rare (a receiver died): rebuild the buffer with room at the front.
        const live = this.bytes.slice(ctl[HEAD]!, ctl[TAIL]!)
        Atomics.store(ctl, HEAD, 0)
        Atomics.store(ctl, TAIL, 0)
        this.ensure(need + live.length)
        this.bytes.set(live, need)
        Atomics.store(ctl, TAIL, need + live.length)
        Atomics.store(ctl, HEAD, need)
      }
      const at = ctl[HEAD]! - need
      this.view.setUint32(at, record.length)
      this.bytes.set(record, at + 4)
      Atomics.store(ctl, HEAD, at)
      Atomics.add(ctl, COUNT, 1)
      bump(ctl, SEQ)
    } finally {
      unlockWord(ctl, MUTEX)
    }
  }

  async put(ctx: OpContext, item: unknown, block: boolean, ms: number | undefined): Promise<void> {
    const record = v8().serialize(item)
    const ctl = this.ctl
    const deadline = deadlineOf(ms)
    for (;;) {
      lockWord(ctl, MUTEX, ctx.owner)
      const maxsize = ctl[MAXSIZE]!
      if (maxsize === 0 || Atomics.load(ctl, COUNT) < maxsize) {
        try {
          this.append(record)
          Atomics.add(ctl, UNFINISHED, 1)
          bump(ctl, SEQ)
        } finally {
          unlockWord(ctl, MUTEX)
        }
        return
      }
      const seq = Atomics.load(ctl, SEQ)
      unlockWord(ctl, MUTEX)
      if (!block || (await waitChange(ctl, SEQ, seq, deadline, ctx.signal)) === 'timed-out') throw new Full()
    }
  }

  /** Takes the oldest item; with `eof`, a closed writer and no data raise `EOFError`. */
  async get(ctx: OpContext, block: boolean, ms: number | undefined, eof = false): Promise<unknown> {
    const ctl = this.ctl
    const deadline = deadlineOf(ms)
    for (;;) {
      lockWord(ctl, MUTEX, ctx.owner)
      if (Atomics.load(ctl, COUNT) > 0) {
        let record: Uint8Array
        try {
          record = this.take()
          bump(ctl, SEQ)
        } finally {
          unlockWord(ctl, MUTEX)
        }
        const value: unknown = v8().deserialize(record)
        return ctx.remote ? new Undoable(value, () => this.unget(ctx, record)) : value
      }
      const closed = Atomics.load(ctl, WRITER_CLOSED) === 1
      const seq = Atomics.load(ctl, SEQ)
      unlockWord(ctl, MUTEX)
      if (eof && closed) throw new EOFError()
      if (!block) throw new Empty()
      if ((await waitChange(ctl, SEQ, seq, deadline, ctx.signal)) === 'timed-out') {
        if (Atomics.load(ctl, COUNT) > 0) continue
        throw new Empty()
      }
    }
  }

  /**
   * No copy of the writing end is open anywhere, the creator's included: the end is closed, and
   * not only by the rule that a unit's close of the last copy besides the creator's ends it for
   * the reader (pipe-ends.ts), since the creator could still use its own.
   */
  writerGoneEverywhere(): boolean {
    return Atomics.load(this.ctl, WRITER_CLOSED) === 1 && (this.ends === undefined || this.ends.none())
  }

  /** Whether a `get()` would return at once (data, or the writer closed). */
  async poll(ctx: OpContext, ms: number | undefined): Promise<boolean> {
    const ctl = this.ctl
    const deadline = deadlineOf(ms)
    for (;;) {
      const seq = Atomics.load(ctl, SEQ)
      if (Atomics.load(ctl, COUNT) > 0 || Atomics.load(ctl, WRITER_CLOSED) === 1) return true
      if ((await waitChange(ctl, SEQ, seq, deadline, ctx.signal)) === 'timed-out') {
        return Atomics.load(ctl, COUNT) > 0 || Atomics.load(ctl, WRITER_CLOSED) === 1
      }
    }
  }

  qsize(_ctx: OpContext): number {
    return Atomics.load(this.ctl, COUNT)
  }
  maxsize(): number {
    return this.ctl[MAXSIZE]!
  }
  taskDone(ctx: OpContext): void {
    const ctl = this.ctl
    lockWord(ctl, MUTEX, ctx.owner)
    try {
      const left = Atomics.load(ctl, UNFINISHED)
      if (left <= 0) throw new ValueError('task_done() called too many times')
      Atomics.store(ctl, UNFINISHED, left - 1)
      if (left === 1) bump(ctl, SEQ)
    } finally {
      unlockWord(ctl, MUTEX)
    }
  }
  async join(ctx: OpContext, ms: number | undefined): Promise<boolean> {
    const ctl = this.ctl
    const deadline = deadlineOf(ms)
    for (;;) {
      const seq = Atomics.load(ctl, SEQ)
      if (Atomics.load(ctl, UNFINISHED) === 0) return true
      if ((await waitChange(ctl, SEQ, seq, deadline, ctx.signal)) === 'timed-out') return Atomics.load(ctl, UNFINISHED) === 0
    }
  }
  closeWriter(_ctx: OpContext): void {
    Atomics.store(this.ctl, WRITER_CLOSED, 1)
    bump(this.ctl, SEQ)
  }

  /**
   * Runs `change` on a pipe direction's copies of its sending end (pipe-ends.ts), under the mutex;
   * it returns whether the end is now closed. A closed end stays closed for the reader; the copies
   * are still counted, for the other end's sends (`writerGoneEverywhere`).
   */
  #ends(ctx: OpContext, change: (ends: PipeEnds) => boolean): void {
    const ends = this.ends
    if (ends === undefined) return
    const ctl = this.ctl
    lockWord(ctl, MUTEX, ctx.owner)
    let close = false
    try {
      close = change(ends) && Atomics.load(ctl, WRITER_CLOSED) !== 1
      if (close) Atomics.store(ctl, WRITER_CLOSED, 1)
    } finally {
      unlockWord(ctl, MUTEX)
    }
    if (close) bump(ctl, SEQ)
  }

  /** A pipe's sending end was given to the unit `ctx.owner` (runner args, initargs, a task). */
  addWriter(ctx: OpContext): void {
    this.#ends(ctx, (ends) => ends.given(ctx.owner))
  }

  /** One more (`delta` 1) or one fewer (-1) message of `ctx.owner` carrying the sending end waits to be sent. */
  queueWriter(ctx: OpContext, delta: 1 | -1): void {
    this.#ends(ctx, (ends) => ends.queued(ctx.owner, delta))
  }

  /**
   * The copy of the sending end held by `ctx.owner` is gone: closed by it (`explicit`), or it
   * finished the task that carried it. Without copies (a queue), an explicit close closes it.
   */
  dropWriter(ctx: OpContext, explicit: boolean): void {
    if (this.ends === undefined) {
      if (explicit) this.closeWriter(ctx)
      return
    }
    this.#ends(ctx, (ends) => ends.dropped(ctx.owner, explicit))
  }

  /** The unit `ctx.owner` ended: its copy of the sending end and its unsent messages carrying it go. */
  writerGone(ctx: OpContext): void {
    this.#ends(ctx, (ends) => ends.gone(ctx.owner))
  }

  holds(ctx: OpContext): boolean {
    return Atomics.load(this.ctl, MUTEX) === ctx.owner
  }
  recover(ctx: OpContext): void {
    if (Atomics.load(this.ctl, MUTEX) === ctx.owner) {
      recoverWord(this.ctl, MUTEX, ctx.owner)
      bump(this.ctl, SEQ)
    }
  }
}
