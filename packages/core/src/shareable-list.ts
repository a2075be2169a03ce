/**
 * Python's `multiprocessing.shared_memory.ShareableList`, for the threads of a process.
 *
 * @module
 */
import type { UnitKind } from './backend.js'
import { ConcTypeError, IndexError, ValueError } from './errors.js'
import { type HandleDescription, kHandle, registerHandleType } from './internal/handles.js'
import { show } from './internal/validate.js'
import { withIndexing } from './internal/indexed.js'
import { SharedMemory } from './shared-memory.js'

/** What a `ShareableList` holds: Python's `int`/`float` (as numbers or bigints), `bool`, `str`, `bytes`, `None`. */
export type ShareableItem = number | bigint | boolean | string | Uint8Array | null

/*
 * Layout of the block (little-endian): a 4-byte marker, the item count (uint32), then one 16-byte
 * record per item (type, capacity, offset, length: 4 x uint32), then the items' bytes, each in a
 * slot of `capacity` bytes fixed at creation: 8 for a scalar, the UTF-8 or byte length rounded up
 * to 8 for a string or bytes (Python's rule: a later value must fit the slot).
 */
const MARKER = 0x314c5343 // 'CSL1'
const HEADER = 8
const RECORD = 16
const NULL = 0
const NUMBER = 1
const BOOL = 2
const STRING = 3
const BYTES = 4
const BIGINT = 5

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function encoded(value: ShareableItem): { type: number; bytes: Uint8Array | undefined } {
  if (value === null) return { type: NULL, bytes: undefined }
  if (typeof value === 'number') return { type: NUMBER, bytes: undefined }
  if (typeof value === 'boolean') return { type: BOOL, bytes: undefined }
  if (typeof value === 'bigint') {
    if (value < -(2n ** 63n) || value >= 2n ** 63n) throw new ValueError(`int ${value} does not fit in 64 bits`)
    return { type: BIGINT, bytes: undefined }
  }
  if (typeof value === 'string') return { type: STRING, bytes: encoder.encode(value) }
  if (value instanceof Uint8Array) return { type: BYTES, bytes: value }
  throw new ConcTypeError(`a ShareableList holds numbers, bigints, booleans, strings, Uint8Arrays and null, got ${show(value)}`)
}

function slotSize(value: ShareableItem): number {
  const { bytes } = encoded(value)
  return bytes === undefined ? 8 : Math.max(8, Math.ceil(bytes.length / 8) * 8)
}

/**
 * A fixed-length list in a {@link SharedMemory} block, readable and writable from every thread
 * that attaches it by name (Python's `ShareableList`). Items are numbers, bigints, booleans,
 * strings, `Uint8Array`s or `null`; a string or bytes item keeps the room it was created with, so
 * a longer value later raises `ValueError`, as in Python. Index it with brackets (`sl[-1]`) or
 * `get`/`set`. Like `SharedMemory`, for threads only.
 *
 * @example
 * ```ts
 * const sl = new ShareableList(['howdy', 42, 3.5, null, true])
 * sl[1] = 43
 * const other = new ShareableList(null, { name: sl.shm.name }) // attach, e.g. in another thread
 * console.log(other[1], [...other])                          // 43 ['howdy', 43, 3.5, null, true]
 * other.shm.close(); sl.shm.close(); sl.shm.unlink()
 * ```
 */
export class ShareableList<T extends ShareableItem = ShareableItem> implements Iterable<T> {
  [index: number]: T
  /** The block the list lives in (`shm.name` attaches it elsewhere; close and unlink it there). */
  readonly shm: SharedMemory
  private readonly view: DataView

  /**
   * Python's `ShareableList(sequence=None, *, name=None)`: a new list holding `sequence`, or, with
   * `sequence` `null` and a `name`, the existing list of that name.
   *
   * @throws {FileNotFoundError} when attaching a name that does not exist
   * @throws {ValueError} when the block of that name is not a ShareableList
   */
  constructor(sequence?: Iterable<T> | null, options: { readonly name?: string | null | undefined } = {}) {
    if (sequence === undefined || sequence === null) {
      if (options.name === undefined || options.name === null) throw new ValueError('a ShareableList needs a sequence to create, or a name to attach')
      this.shm = new SharedMemory(options.name)
      this.view = new DataView(this.shm.buf.buffer, this.shm.buf.byteOffset, this.shm.size)
      if (this.shm.size < HEADER || this.view.getUint32(0, true) !== MARKER) {
        this.shm.close()
        throw new ValueError(`the SharedMemory '${options.name}' does not hold a ShareableList`)
      }
    } else {
      const items = [...sequence]
      const sizes = items.map(slotSize)
      const total = HEADER + RECORD * items.length + sizes.reduce((a, b) => a + b, 0)
      this.shm = new SharedMemory({ name: options.name, create: true, size: Math.max(total, 8) })
      this.view = new DataView(this.shm.buf.buffer, this.shm.buf.byteOffset, this.shm.size)
      this.view.setUint32(0, MARKER, true)
      this.view.setUint32(4, items.length, true)
      let offset = HEADER + RECORD * items.length
      items.forEach((item, i) => {
        this.view.setUint32(HEADER + RECORD * i + 4, sizes[i] as number, true)
        this.view.setUint32(HEADER + RECORD * i + 8, offset, true)
        offset += sizes[i] as number
        this.write(i, item)
      })
    }
    return withIndexing(this)
  }

  /** @internal Passed to a thread, it is attached there by name; a process cannot have it. */
  [kHandle](kind: UnitKind): HandleDescription {
    const { data } = this.shm[kHandle](kind)
    return { type: 'ShareableList', module: import.meta.url, data }
  }

  /** The number of items. */
  get length(): number {
    return this.view.getUint32(4, true)
  }

  private at(i: number): number {
    if (typeof i !== 'number' || !Number.isInteger(i)) throw new ConcTypeError(`list indices must be integers, got ${show(i)}`)
    const at = i < 0 ? this.length + i : i
    if (at < 0 || at >= this.length) throw new IndexError('index out of range')
    return at
  }

  private write(at: number, value: ShareableItem): void {
    const record = HEADER + RECORD * at
    const capacity = this.view.getUint32(record + 4, true)
    const offset = this.view.getUint32(record + 8, true)
    const { type, bytes } = encoded(value)
    if (bytes !== undefined && bytes.length > capacity) throw new ValueError('bytes/str item exceeds available storage')
    if (type === NUMBER) this.view.setFloat64(offset, value as number, true)
    else if (type === BOOL) this.view.setUint8(offset, value === true ? 1 : 0)
    else if (type === BIGINT) this.view.setBigInt64(offset, value as bigint, true)
    else if (bytes !== undefined) this.shm.buf.set(bytes, offset)
    this.view.setUint32(record + 12, bytes?.length ?? 0, true)
    this.view.setUint32(record, type, true)
  }

  /** Item `i`; a negative `i` counts from the end. @throws {IndexError} when out of range */
  get(i: number): T {
    const at = this.at(i)
    const record = HEADER + RECORD * at
    const type = this.view.getUint32(record, true)
    const offset = this.view.getUint32(record + 8, true)
    const length = this.view.getUint32(record + 12, true)
    switch (type) {
      case NUMBER:
        return this.view.getFloat64(offset, true) as T
      case BOOL:
        return (this.view.getUint8(offset) === 1) as T
      case BIGINT:
        return this.view.getBigInt64(offset, true) as T
      case STRING:
        // Copied out: TextDecoder does not read from shared memory.
        return decoder.decode(this.shm.buf.slice(offset, offset + length)) as T
      case BYTES:
        return this.shm.buf.slice(offset, offset + length) as T
      default:
        return null as T
    }
  }

  /**
   * Sets item `i` to any item type; a string or bytes value must fit the item's room.
   *
   * @throws {IndexError} when out of range; {ValueError} `bytes/str item exceeds available storage`
   */
  set(i: number, value: T): void {
    this.write(this.at(i), value)
  }

  /** How many items equal `value` (Python's `count`). */
  count(value: T): number {
    let n = 0
    for (const item of this) if (same(item, value)) n++
    return n
  }

  /** The first index of `value` (Python's `index`). @throws {ValueError} when it is not there */
  index(value: T): number {
    for (let i = 0; i < this.length; i++) if (same(this.get(i), value)) return i
    throw new ValueError(`${show(value)} not in this container`)
  }

  /** A plain array of the items now. */
  toArray(): T[] {
    return [...this]
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.get(i)
  }

  toString(): string {
    return `ShareableList(${JSON.stringify(this.toArray(), (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : v))}, name='${this.shm.name}')`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}

function same(a: ShareableItem, b: ShareableItem): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i])
  return Object.is(a, b) || a === b
}

registerHandleType('ShareableList', {
  rebuild: (data) => new ShareableList(null, { name: (data as { name: string }).name }),
})
