/**
 * Python's `multiprocessing.shared_memory.SharedMemory`, for the threads of a process.
 *
 * @module
 */
import type { UnitKind } from './backend.js'
import { ConcTypeError, ValueError } from './errors.js'
import { type HandleDescription, handleCreated, kHandle, registerHandleType } from './internal/handles.js'
import { type Block, arena, attachBlock, createBlock, detachBlock, unlinkBlock } from './internal/shm-directory.js'
import { checkInteger, show } from './internal/validate.js'

/** Options of `new SharedMemory({ ... })`, Python's keyword arguments. */
export interface SharedMemoryOptions {
  /** The block's name: required to attach; when creating, default a new `psm_…` name. */
  readonly name?: string | null | undefined
  /** Create a new block (`true`) or attach an existing one (default). */
  readonly create?: boolean | undefined
  /** Bytes of a new block (> 0); ignored when attaching. */
  readonly size?: number | undefined
}

const NOT_TO_PROCESSES =
  'a SharedMemory cannot be passed to a Process: Node processes share no memory (a SharedArrayBuffer cannot ' +
  'cross a process boundary), so its blocks are shared by the threads of one process only. Between processes, ' +
  'use Value/Array, a Queue or a Pipe'

function newName(): string {
  const bytes = new Uint8Array(4)
  crypto.getRandomValues(bytes)
  return `psm_${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}

/**
 * A named block of memory that every thread of the process can attach by name (Python's
 * `SharedMemory`): `buf` is the same memory in each, with no copy and no message. Create it in
 * one thread, pass its `name` (a string) to others, attach there, `close()` each attachment and
 * `unlink()` once.
 *
 * It is shared by threads only: Node processes share no memory, so a child process cannot attach
 * a block of its parent (it gets `FileNotFoundError` saying so). Between processes, use `Value` /
 * `Array`, a `Queue`, or a `Pipe`.
 *
 * @example
 * ```ts
 * import { SharedMemory, Thread, isMain } from '@conc/threading'
 *
 * export function fill(name: string) {
 *   const shm = new SharedMemory(name)  // attach
 *   shm.buf.fill(7)
 *   shm.close()
 * }
 *
 * if (isMain(import.meta)) {
 *   const shm = new SharedMemory({ create: true, size: 16 })
 *   const t = new Thread({ target: fill, args: [shm.name] })
 *   t.start()
 *   await t.join()
 *   console.log(shm.buf[0]) // 7
 *   shm.close()
 *   shm.unlink()
 * }
 * ```
 */
export class SharedMemory {
  /** The block's name, to attach it from another thread. */
  readonly name: string
  /** Its size in bytes. */
  readonly size: number
  readonly #block: Block
  #buf: Uint8Array | undefined

  /**
   * Python's `SharedMemory(name=None, create=False, size=0)`, positionally or as an options object.
   *
   * @throws {FileExistsError} when creating a name in use; {FileNotFoundError} when attaching a
   *   name no block of this process has
   * @throws {ValueError} for a size that is not positive when creating, or no name when attaching
   */
  constructor(name?: string | null | SharedMemoryOptions, create?: boolean, size?: number)
  constructor(first?: string | null | SharedMemoryOptions, createArg?: boolean, sizeArg?: number) {
    const o: SharedMemoryOptions = typeof first === 'object' && first !== null ? first : { name: first, create: createArg, size: sizeArg }
    const create = o.create === true
    const size = o.size ?? 0
    if (typeof size !== 'number' || !Number.isInteger(size)) throw new ConcTypeError(`size must be an integer, got ${show(size)}`)
    if (size < 0) throw new ValueError("'size' must be a positive integer")
    if (create && size === 0) throw new ValueError("'size' must be a positive number different from zero")
    if (!create && (o.name === undefined || o.name === null)) throw new ValueError("'name' can only be None if create=True")
    if (o.name !== undefined && o.name !== null && typeof o.name !== 'string') throw new ConcTypeError(`name must be a string, got ${show(o.name)}`)
    const name = o.name ?? newName()
    this.#block = create ? createBlock(name, checkInteger(size, 'size', 1)) : attachBlock(name)
    this.name = name
    this.size = this.#block.size
    this.#buf = new Uint8Array(arena(), this.#block.offset, this.#block.size)
    handleCreated()
  }

  /**
   * @internal Passed to a thread (in `args`, as Python pickles it), it is attached there by name;
   * a process cannot have it.
   */
  [kHandle](kind: UnitKind): HandleDescription {
    if (kind === 'process') throw new ConcTypeError(NOT_TO_PROCESSES, { code: 'ERR_CONC_DATA_CLONE' })
    return { type: 'SharedMemory', module: import.meta.url, data: { name: this.name } }
  }

  /**
   * The block's bytes, the same memory in every thread that attached it. Views made from it
   * (`new Float64Array(shm.buf.buffer, shm.buf.byteOffset, n)`) are shared too; the offset is
   * 64-byte aligned.
   *
   * @throws {ValueError} after `close()`
   */
  get buf(): Uint8Array {
    if (this.#buf === undefined) throw new ValueError('operation on a closed SharedMemory')
    return this.#buf
  }

  /** Detaches this object from the block (other attachments keep it). Idempotent. */
  close(): void {
    if (this.#buf === undefined) return
    this.#buf = undefined
    detachBlock(this.#block)
  }

  /**
   * Removes the name: no thread can attach it any more; the memory is reused once every
   * attachment was closed. Call it once, from any thread.
   *
   * @throws {FileNotFoundError} when the name was already removed
   */
  unlink(): void {
    unlinkBlock(this.name)
  }

  toString(): string {
    return `SharedMemory('${this.name}', size=${this.size})`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}

registerHandleType('SharedMemory', {
  rebuild: (data) => new SharedMemory((data as { name: string }).name),
})
