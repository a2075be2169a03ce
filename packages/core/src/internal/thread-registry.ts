/**
 * The live threads of this process, in shared memory every thread reads (process-shared.ts), so
 * that `threading.enumerate()` called in any thread lists them all, as Python's does.
 *
 * The thread that starts a thread registers it (its id, name, daemon flag, and its own entry as
 * parent) right after the `Worker` exists, and marks it ended when it sees its exit; a thread
 * renames its own entry. A thread whose parent ended is not alive either: Node stops a worker's
 * workers when it ends, and the parent can no longer mark them. Entries are reused; each
 * registration gets a new sequence number, which orders `enumerate()` by start.
 *
 * Layout (32-bit words): a header of 16 words (mutex, next sequence number, change counter), then
 * slots of 48 words: state, thread id, sequence number, parent's sequence number (0: the main
 * thread), daemon flag, name length, and the name in UTF-8 (168 bytes).
 */
import { processShared } from './process-shared.js'
import { locked } from './table-lock.js'

// Word 0 is the table's mutex (table-lock.ts).
const NEXT_SEQ = 1
const CHANGE = 2
const HEADER = 16

const SLOT = 48
const STATE = 0
const IDENT = 1
const SEQ = 2
const PARENT = 3
const DAEMON = 4
const NAME_LEN = 5
const NAME = 6
const NAME_BYTES = (SLOT - NAME) * 4

const FREE = 0
const ALIVE = 1
const ENDED = 2

/** One live thread, as the registry knows it. */
export interface ThreadRecord {
  /** Its registration's number: unique in the process's lifetime, in start order. */
  readonly seq: number
  readonly ident: number
  readonly name: string
  readonly daemon: boolean
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function words(create: boolean): Int32Array | undefined {
  const shared = processShared(create)
  return shared === undefined ? undefined : new Int32Array(shared.threads)
}


function capacity(i32: Int32Array): number {
  return Math.floor((i32.length - HEADER) / SLOT)
}

function at(slot: number): number {
  return HEADER + slot * SLOT
}

function writeName(i32: Int32Array, base: number, name: string): void {
  const bytes = new Uint8Array(i32.buffer, (base + NAME) * 4, NAME_BYTES)
  const { written } = encoder.encodeInto(name, bytes)
  i32[base + NAME_LEN] = written
}

function readName(i32: Int32Array, base: number): string {
  // Copied out of shared memory: TextDecoder does not read from a SharedArrayBuffer.
  return decoder.decode(new Uint8Array(i32.buffer, (base + NAME) * 4, i32[base + NAME_LEN] ?? 0).slice())
}

/** Sequence number of the live thread `ident`'s entry; 0 if it has none. */
function seqOf(i32: Int32Array, ident: number): number {
  for (let slot = 0, n = capacity(i32); slot < n; slot++) {
    const base = at(slot)
    if (i32[base + STATE] === ALIVE && i32[base + IDENT] === ident) return i32[base + SEQ] as number
  }
  return 0
}

/** Sequence number of the calling thread's own entry; 0 in the main thread (and if unknown). */
function ownSeq(i32: Int32Array): number {
  const { isMainThread, threadId } = process.getBuiltinModule('node:worker_threads')
  return isMainThread ? 0 : seqOf(i32, threadId)
}

function bump(i32: Int32Array): void {
  Atomics.add(i32, CHANGE, 1)
  Atomics.notify(i32, CHANGE)
}

/** Creates the table (before the first thread starts: a worker gets it when it is created). */
export function ensureThreadRegistry(): void {
  words(true)
}

/** Registers a thread this thread has just started; returns its sequence number. */
export function registerThread(ident: number, name: string, daemon: boolean): number {
  const i32 = words(true) as Int32Array
  return locked(i32, () => {
    const parent = ownSeq(i32)
    let slot = 0
    for (const n = capacity(i32); slot < n; slot++) if (i32[at(slot) + STATE] !== ALIVE) break
    if (slot >= capacity(i32)) {
      const sab = i32.buffer as SharedArrayBuffer & { grow(length: number): void; readonly maxByteLength: number }
      const wanted = Math.min(sab.maxByteLength, Math.max(sab.byteLength * 2, (at(slot + 1) + 1) * 4))
      if (wanted < (at(slot + 1)) * 4) throw new RangeError('@conc: too many live threads for the thread table')
      sab.grow(wanted)
    }
    const base = at(slot)
    const seq = Atomics.add(i32, NEXT_SEQ, 1) + 1
    i32[base + IDENT] = ident
    i32[base + SEQ] = seq
    i32[base + PARENT] = parent
    i32[base + DAEMON] = daemon ? 1 : 0
    writeName(i32, base, name)
    Atomics.store(i32, base + STATE, ALIVE)
    bump(i32)
    return seq
  })
}

function slotOf(i32: Int32Array, seq: number): number {
  for (let slot = 0, n = capacity(i32); slot < n; slot++) if (i32[at(slot) + SEQ] === seq) return slot
  return -1
}

/** The thread registered as `seq` has ended. */
export function threadEnded(seq: number): void {
  const i32 = words(false)
  if (i32 === undefined) return
  locked(i32, () => {
    const slot = slotOf(i32, seq)
    if (slot >= 0) Atomics.store(i32, at(slot) + STATE, ENDED)
    bump(i32)
  })
}

/** The live thread `ident` was renamed (`thread.name = …`). */
export function renameThread(ident: number, name: string): void {
  const i32 = words(false)
  if (i32 === undefined) return
  locked(i32, () => {
    for (let slot = 0, n = capacity(i32); slot < n; slot++) {
      const base = at(slot)
      if (i32[base + STATE] === ALIVE && i32[base + IDENT] === ident) writeName(i32, base, name)
    }
  })
}

/** Alive: registered, not ended, and its parent (up to the main thread) alive too. */
function aliveIn(i32: Int32Array, seq: number, bySeq: Map<number, number>): boolean {
  for (let current = seq, depth = 0; current !== 0 && depth < 1000; depth++) {
    const base = bySeq.get(current)
    if (base === undefined || i32[base + STATE] !== ALIVE) return false
    current = i32[base + PARENT] as number
  }
  return true
}

function index(i32: Int32Array): Map<number, number> {
  const bySeq = new Map<number, number>()
  for (let slot = 0, n = capacity(i32); slot < n; slot++) {
    const base = at(slot)
    if (i32[base + STATE] !== FREE) bySeq.set(i32[base + SEQ] as number, base)
  }
  return bySeq
}

/** The registration of the live thread `ident` (0 when it has none). */
export function threadSeqOf(ident: number): number {
  const i32 = words(false)
  if (i32 === undefined) return 0
  return locked(i32, () => seqOf(i32, ident))
}

/**
 * The thread registered as `seq` has ended: the threads it started that had not ended (and those
 * they started), which Node ended with it and nobody will mark, are marked ended here. Returns
 * their idents. Threads that ended before it are not among them: their own parent saw them end.
 */
export function endDescendants(seq: number): number[] {
  const i32 = words(false)
  if (i32 === undefined) return []
  return locked(i32, () => {
    const children = new Map<number, number[]>()
    for (let slot = 0, n = capacity(i32); slot < n; slot++) {
      const base = at(slot)
      if (i32[base + STATE] !== ALIVE) continue
      const parent = i32[base + PARENT] as number
      const list = children.get(parent)
      if (list === undefined) children.set(parent, [base])
      else list.push(base)
    }
    const out: number[] = []
    const pending = [seq]
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      for (const base of children.get(next) ?? []) {
        out.push(i32[base + IDENT] as number)
        pending.push(i32[base + SEQ] as number)
        Atomics.store(i32, base + STATE, ENDED)
      }
    }
    if (out.length > 0) bump(i32)
    return out
  })
}

/** Every live thread of the process but the main one, in start order; `undefined` before any. */
export function liveThreads(): ThreadRecord[] | undefined {
  const i32 = words(false)
  if (i32 === undefined) return undefined
  return locked(i32, () => {
    const bySeq = index(i32)
    const out: ThreadRecord[] = []
    for (const [seq, base] of bySeq) {
      if (!aliveIn(i32, seq, bySeq)) continue
      out.push({ seq, ident: i32[base + IDENT] as number, name: readName(i32, base), daemon: i32[base + DAEMON] === 1 })
    }
    return out.sort((a, b) => a.seq - b.seq)
  })
}

/** Whether the thread registered as `seq` is alive. */
export function threadAlive(seq: number): boolean {
  const i32 = words(false)
  return i32 !== undefined && locked(i32, () => aliveIn(i32, seq, index(i32)))
}

/** The current name of the thread registered as `seq` (`undefined` once its entry is reused). */
export function threadName(seq: number): string | undefined {
  const i32 = words(false)
  if (i32 === undefined) return undefined
  return locked(i32, () => {
    const slot = slotOf(i32, seq)
    return slot < 0 ? undefined : readName(i32, at(slot))
  })
}

/**
 * Resolves when the thread registered as `seq` is no longer alive. Waits on the change counter in
 * slices, without keeping the event loop alive by itself.
 */
export async function threadEnd(seq: number): Promise<void> {
  const i32 = words(false)
  if (i32 === undefined) return
  for (;;) {
    const change = Atomics.load(i32, CHANGE)
    if (!threadAlive(seq)) return
    const result = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: unknown } }).waitAsync(
      i32,
      CHANGE,
      change,
      250,
    )
    if (result.async) await result.value
  }
}
