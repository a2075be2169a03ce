/**
 * The named blocks of `SharedMemory`, for every thread of the process (process-shared.ts): a
 * directory of names in one shared buffer, and the blocks' bytes in one shared arena that grows
 * in place. A `SharedArrayBuffer` cannot be put in shared memory, nor handed to a running thread
 * synchronously, so the blocks are regions of one buffer every thread already has: attaching by
 * name is a look-up, with no message to anyone.
 *
 * Blocks are reference-counted like Python's: `unlink()` removes the name, and the region is
 * reused once every attachment was closed. Regions are 64-byte aligned (any typed array fits).
 *
 * Directory layout (32-bit words): a header of 16 words (mutex, arena top as a float64 at byte 8),
 * then entries of 64 words: state, attachments, name length, then the offset and size as float64
 * (bytes 16 and 24), and the name in UTF-8 (bytes 32-255).
 */
import { OSError } from '../sync/errors.js'
import { ValueError } from '../errors.js'
import { FileExistsError, FileNotFoundError } from '../os-errors.js'
import { type ProcessShared, processShared } from './process-shared.js'
import { locked } from './table-lock.js'

// Word 0 is the table's mutex (table-lock.ts).
const TOP_BYTE = 8
const HEADER = 16

const ENTRY = 64
const STATE = 0
const REFS = 1
const NAME_LEN = 2
const OFFSET_BYTE = 16
const SIZE_BYTE = 24
const NAME_BYTE = 32
export const MAX_NAME_BYTES = ENTRY * 4 - NAME_BYTE

const UNUSED = 0
const NAMED = 1
/** Unlinked but still attached somewhere: no name, the region in use. */
const UNLINKED = 2
/** A region free for reuse. */
const FREE = 3

const ALIGN = 64

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Where a block's bytes are in the arena, and which entry holds it. */
export interface Block {
  readonly entry: number
  readonly offset: number
  readonly size: number
}

type GrowableSAB = SharedArrayBuffer & { grow(length: number): void; readonly maxByteLength: number }

class Directory {
  readonly i32: Int32Array
  readonly view: DataView
  readonly arena: GrowableSAB

  constructor(shared: ProcessShared) {
    this.i32 = new Int32Array(shared.shmDirectory)
    this.view = new DataView(shared.shmDirectory)
    this.arena = shared.shmArena as GrowableSAB
  }

  locked<T>(fn: () => T): T {
    return locked(this.i32, fn)
  }

  get entries(): number {
    return Math.floor((this.i32.length - HEADER) / ENTRY)
  }

  base(entry: number): number {
    return HEADER + entry * ENTRY
  }

  state(entry: number): number {
    return this.i32[this.base(entry) + STATE] as number
  }

  offset(entry: number): number {
    return this.view.getFloat64(this.base(entry) * 4 + OFFSET_BYTE)
  }

  size(entry: number): number {
    return this.view.getFloat64(this.base(entry) * 4 + SIZE_BYTE)
  }

  name(entry: number): string {
    const at = this.base(entry) * 4 + NAME_BYTE
    return decoder.decode(new Uint8Array(this.i32.buffer, at, this.i32[this.base(entry) + NAME_LEN] ?? 0).slice())
  }

  set(entry: number, state: number, refs: number, offset: number, size: number, name: Uint8Array | undefined): void {
    const base = this.base(entry)
    this.i32[base + STATE] = state
    this.i32[base + REFS] = refs
    this.view.setFloat64(base * 4 + OFFSET_BYTE, offset)
    this.view.setFloat64(base * 4 + SIZE_BYTE, size)
    if (name !== undefined) {
      new Uint8Array(this.i32.buffer, base * 4 + NAME_BYTE, MAX_NAME_BYTES).set(name)
      this.i32[base + NAME_LEN] = name.length
    } else {
      this.i32[base + NAME_LEN] = 0
    }
  }

  find(name: string): number {
    for (let entry = 0, n = this.entries; entry < n; entry++) if (this.state(entry) === NAMED && this.name(entry) === name) return entry
    return -1
  }

  /** An unused entry, growing the directory when all are taken. */
  unused(): number {
    for (let entry = 0, n = this.entries; entry < n; entry++) if (this.state(entry) === UNUSED) return entry
    const sab = this.i32.buffer as GrowableSAB
    const wanted = Math.min(sab.maxByteLength, sab.byteLength * 2)
    if (wanted <= sab.byteLength) throw new OSError('too many SharedMemory blocks in this process')
    const entry = this.entries
    sab.grow(wanted)
    return entry
  }

  /** A free region of at least `need` bytes (split if much larger), else the arena's top. */
  allocate(need: number): number {
    for (let entry = 0, n = this.entries; entry < n; entry++) {
      if (this.state(entry) !== FREE || this.size(entry) < need) continue
      const offset = this.offset(entry)
      const rest = this.size(entry) - need
      if (rest >= ALIGN) this.set(entry, FREE, 0, offset + need, rest, undefined)
      else this.set(entry, UNUSED, 0, 0, 0, undefined)
      new Uint8Array(this.arena, offset, need).fill(0)
      return offset
    }
    const top = this.view.getFloat64(TOP_BYTE)
    if (top + need > this.arena.maxByteLength) {
      throw new OSError(`[Errno 28] No space left on device: the SharedMemory blocks of a process share ${this.arena.maxByteLength} bytes`)
    }
    if (top + need > this.arena.byteLength) {
      this.arena.grow(Math.min(this.arena.maxByteLength, Math.max(top + need, this.arena.byteLength * 2)))
    }
    this.view.setFloat64(TOP_BYTE, top + need)
    return top
  }

  /** Gives a region back (its size rounded as allocated). */
  release(entry: number): void {
    const allocated = Math.ceil(this.size(entry) / ALIGN) * ALIGN
    this.set(entry, FREE, 0, this.offset(entry), allocated, undefined)
  }
}

let directory: Directory | undefined

function open(): Directory {
  directory ??= new Directory(processShared(true) as ProcessShared)
  return directory
}

/** The arena every block is a region of. */
export function arena(): SharedArrayBuffer {
  return open().arena
}

function encodeName(name: string): Uint8Array {
  const bytes = encoder.encode(name)
  if (bytes.length > MAX_NAME_BYTES) throw new ValueError(`SharedMemory name too long (${bytes.length} bytes, at most ${MAX_NAME_BYTES})`)
  return bytes
}

const WHY_THREADS_ONLY =
  'SharedMemory blocks are shared by the threads of one process; a child process cannot attach a block of its ' +
  'parent (Node processes share no memory)'

/** Creates block `name` of `size` bytes, attached once. */
export function createBlock(name: string, size: number): Block {
  const bytes = encodeName(name)
  const dir = open()
  return dir.locked(() => {
    if (dir.find(name) >= 0) throw new FileExistsError(`[Errno 17] File exists: '${name}'`)
    const entry = dir.unused()
    const offset = dir.allocate(Math.max(ALIGN, Math.ceil(size / ALIGN) * ALIGN))
    dir.set(entry, NAMED, 1, offset, size, bytes)
    return { entry, offset, size }
  })
}

/** Attaches block `name` once more. */
export function attachBlock(name: string): Block {
  encodeName(name)
  const dir = open()
  return dir.locked(() => {
    const entry = dir.find(name)
    if (entry < 0) throw new FileNotFoundError(`[Errno 2] No such file or directory: '${name}' (${WHY_THREADS_ONLY})`)
    const base = dir.base(entry)
    dir.i32[base + REFS] = (dir.i32[base + REFS] as number) + 1
    return { entry, offset: dir.offset(entry), size: dir.size(entry) }
  })
}

/** Detaches once; the region is freed when it was unlinked and nothing is attached. */
export function detachBlock(block: Block): void {
  const dir = open()
  dir.locked(() => {
    const base = dir.base(block.entry)
    const refs = Math.max(0, (dir.i32[base + REFS] as number) - 1)
    dir.i32[base + REFS] = refs
    if (refs === 0 && dir.state(block.entry) === UNLINKED) dir.release(block.entry)
  })
}

/** Removes name `name`; the region is freed now if nothing is attached, else at the last detach. */
export function unlinkBlock(name: string): void {
  const dir = open()
  dir.locked(() => {
    const entry = dir.find(name)
    if (entry < 0) throw new FileNotFoundError(`[Errno 2] No such file or directory: '${name}'`)
    const base = dir.base(entry)
    if ((dir.i32[base + REFS] as number) === 0) dir.release(entry)
    else {
      dir.i32[base + STATE] = UNLINKED
      dir.i32[base + NAME_LEN] = 0
    }
  })
}
