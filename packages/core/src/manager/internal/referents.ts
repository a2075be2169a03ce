/**
 * The objects a `SyncManager` keeps for `dict()`, `list()`, `Namespace()`, `Value()` and
 * `Array()`, in its owner's memory. Their methods are what the proxies call (one call, one round
 * trip), with Python's semantics and messages; bulk methods (`update`, `items`, `extend`, `copy`)
 * exist so that a loop does not cost a round trip per item.
 */
import { ConcTypeError, IndexError, ValueError } from '../../errors.js'
import { type SliceBound, sliceIndices } from '../../sync/internal/slices.js'
import { type Typecode, allocate, checkTypecode, fromElement, toElement, view } from '../../sync/internal/typecodes.js'
import { AttributeError, KeyError } from '../errors.js'
import { checkKey, pyCompare, pyEquals, repr } from './python.js'

/** What `proxy.getValue()` returns for a referent: a copy of its value, as Python's `_getvalue()`. */
export const kGetValue: unique symbol = Symbol('@conc/manager-getvalue')

function pairs(other: unknown): Iterable<readonly [unknown, unknown]> {
  if (other instanceof Map) return other
  if (Array.isArray(other)) {
    return other.map((entry: unknown, i) => {
      if (!Array.isArray(entry) || entry.length !== 2) {
        throw new ValueError(`dictionary update sequence element #${i} has length ${Array.isArray(entry) ? entry.length : 1}; 2 is required`)
      }
      return entry as unknown as readonly [unknown, unknown]
    })
  }
  if (typeof other === 'object' && other !== null) return Object.entries(other)
  throw new ConcTypeError(`'${typeof other}' object is not iterable`)
}

/** The referent of `manager.dict()`: Python's `dict`, over a `Map` (keys keep their type). */
export class ManagedDict {
  readonly map = new Map<unknown, unknown>()

  constructor(initial?: unknown) {
    if (initial !== undefined && initial !== null) this.update(initial)
  }

  get(key: unknown, fallback?: unknown): unknown {
    return this.map.has(key) ? this.map.get(key) : fallback
  }
  getItem(key: unknown): unknown {
    if (!this.map.has(key)) throw new KeyError(repr(key))
    return this.map.get(key)
  }
  set(key: unknown, value: unknown): void {
    checkKey(key)
    this.map.set(key, value)
  }
  has(key: unknown): boolean {
    return this.map.has(key)
  }
  delete(key: unknown): boolean {
    return this.map.delete(key)
  }
  pop(key: unknown, ...fallback: unknown[]): unknown {
    if (this.map.has(key)) {
      const value = this.map.get(key)
      this.map.delete(key)
      return value
    }
    if (fallback.length > 0) return fallback[0]
    throw new KeyError(repr(key))
  }
  popitem(): [unknown, unknown] {
    const last = [...this.map.keys()].at(-1)
    if (this.map.size === 0) throw new KeyError('popitem(): dictionary is empty')
    const value = this.map.get(last)
    this.map.delete(last)
    return [last, value]
  }
  setdefault(key: unknown, fallback?: unknown): unknown {
    if (!this.map.has(key)) this.set(key, fallback)
    return this.map.get(key)
  }
  update(other: unknown): void {
    const entries = [...pairs(other)]
    for (const [key] of entries) checkKey(key)
    for (const [key, value] of entries) this.map.set(key, value)
  }
  keys(): unknown[] {
    return [...this.map.keys()]
  }
  values(): unknown[] {
    return [...this.map.values()]
  }
  items(): [unknown, unknown][] {
    return [...this.map.entries()]
  }
  len(): number {
    return this.map.size
  }
  clear(): void {
    this.map.clear()
  }
  copy(): Map<unknown, unknown> {
    return new Map(this.map)
  }
  toObject(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [key, value] of this.map) {
      Object.defineProperty(out, String(key), { value, enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  [kGetValue](): unknown {
    return this.copy()
  }
  toString(): string {
    return `{${[...this.map].map(([key, value]) => `${repr(key)}: ${repr(value)}`).join(', ')}}`
  }
}

/** An index into a list of `length`, negative from the end; `IndexError(message)` when out of range. */
function listIndex(index: unknown, length: number, message: string): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new ConcTypeError(`list indices must be integers, not ${typeof index}`)
  const at = index < 0 ? length + index : index
  if (at < 0 || at >= length) throw new IndexError(message)
  return at
}

function arrayOf(iterable: unknown): unknown[] {
  if (Array.isArray(iterable)) return iterable
  if (iterable instanceof Set || iterable instanceof Map) return [...(iterable as Iterable<unknown>)]
  if (typeof iterable === 'string') return [...iterable]
  throw new ConcTypeError(`'${typeof iterable}' object is not iterable`)
}

/** The referent of `manager.list()`: Python's `list`. */
export class ManagedList {
  readonly items: unknown[]

  constructor(initial?: unknown) {
    this.items = initial === undefined || initial === null ? [] : [...arrayOf(initial)]
  }

  get(index: number): unknown {
    return this.items[listIndex(index, this.items.length, 'list index out of range')]
  }
  set(index: number, value: unknown): void {
    this.items[listIndex(index, this.items.length, 'list assignment index out of range')] = value
  }
  append(value: unknown): void {
    this.items.push(value)
  }
  extend(values: unknown): void {
    for (const value of arrayOf(values)) this.items.push(value)
  }
  insert(index: number, value: unknown): void {
    if (typeof index !== 'number' || !Number.isInteger(index)) throw new ConcTypeError(`list indices must be integers, not ${typeof index}`)
    const n = this.items.length
    const at = index < 0 ? Math.max(0, n + index) : Math.min(index, n)
    this.items.splice(at, 0, value)
  }
  pop(index = -1): unknown {
    if (this.items.length === 0) throw new IndexError('pop from empty list')
    const at = listIndex(index, this.items.length, 'pop index out of range')
    return this.items.splice(at, 1)[0]
  }
  remove(value: unknown): void {
    const at = this.items.findIndex((item) => pyEquals(item, value))
    if (at === -1) throw new ValueError('list.remove(x): x not in list')
    this.items.splice(at, 1)
  }
  index(value: unknown, start?: number, stop?: number): number {
    const indices = sliceIndices(this.items.length, start, stop, 1)
    for (const at of indices) if (pyEquals(this.items[at], value)) return at
    throw new ValueError(`${repr(value)} is not in list`)
  }
  count(value: unknown): number {
    return this.items.filter((item) => pyEquals(item, value)).length
  }
  includes(value: unknown): boolean {
    return this.items.some((item) => pyEquals(item, value))
  }
  reverse(): void {
    this.items.reverse()
  }
  sort(options?: { readonly reverse?: boolean }): void {
    // Python's sort is stable, and so is Array.prototype.sort.
    const sorted = [...this.items].sort(pyCompare)
    if (options?.reverse === true) sorted.reverse()
    this.items.splice(0, this.items.length, ...sorted)
  }
  len(): number {
    return this.items.length
  }
  clear(): void {
    this.items.length = 0
  }
  slice(start?: SliceBound, stop?: SliceBound, step?: SliceBound): unknown[] {
    return sliceIndices(this.items.length, start, stop, step).map((at) => this.items[at])
  }
  splice(start: number, deleteCount?: number, ...values: unknown[]): unknown[] {
    return deleteCount === undefined ? this.items.splice(start) : this.items.splice(start, deleteCount, ...values)
  }
  copy(): unknown[] {
    return [...this.items]
  }
  [kGetValue](): unknown {
    return this.copy()
  }
  toString(): string {
    return `[${this.items.map(repr).join(', ')}]`
  }
}

/** The referent of `manager.Namespace()`: Python's `Namespace`, names and values. */
export class Namespace {
  readonly attributes = new Map<string, unknown>()

  constructor(initial?: Record<string, unknown> | null) {
    if (initial !== undefined && initial !== null) this.update(initial)
  }

  #check(name: unknown): string {
    if (typeof name !== 'string') throw new ConcTypeError(`attribute name must be string, not '${typeof name}'`)
    return name
  }
  get(name: string, ...fallback: unknown[]): unknown {
    if (this.attributes.has(this.#check(name))) return this.attributes.get(name)
    if (fallback.length > 0) return fallback[0]
    throw new AttributeError(`'Namespace' object has no attribute '${name}'`)
  }
  set(name: string, value: unknown): void {
    this.attributes.set(this.#check(name), value)
  }
  delete(name: string): void {
    if (!this.attributes.delete(this.#check(name))) throw new AttributeError(`'Namespace' object has no attribute '${name}'`)
  }
  has(name: string): boolean {
    return this.attributes.has(this.#check(name))
  }
  update(values: Record<string, unknown>): void {
    if (typeof values !== 'object' || values === null) throw new ConcTypeError(`update() needs an object of names and values, got ${repr(values)}`)
    for (const [name, value] of values instanceof Map ? values : Object.entries(values)) this.set(name as string, value)
  }
  toObject(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [name, value] of this.attributes) Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true })
    return out
  }
  [kGetValue](): unknown {
    return this.toObject()
  }
  toString(): string {
    const shown = [...this.attributes].filter(([name]) => !name.startsWith('_'))
    return `Namespace(${shown.map(([name, value]) => `${name}=${repr(value)}`).sort().join(', ')})`
  }
}

/** The referent of `manager.Value(typecode, value)`: a value and its typecode, as Python's. */
export class ManagedValue {
  constructor(
    readonly typecode: string,
    public value: unknown,
  ) {}
  get(): unknown {
    return this.value
  }
  set(value: unknown): void {
    this.value = value
  }
  [kGetValue](): unknown {
    return this.value
  }
  toString(): string {
    return `Value(${repr(this.typecode)}, ${repr(this.value)})`
  }
}

/** The referent of `manager.Array(typecode, sequence)`: Python's `array.array`, typed elements. */
export class ManagedArray {
  readonly typecode: Typecode
  readonly #elements: { [index: number]: number | bigint; readonly length: number }

  constructor(typecode: string, sequence: unknown) {
    this.typecode = checkTypecode(typecode)
    const initial = typeof sequence === 'number' ? new Array<unknown>(sequence).fill(this.typecode === 'c' ? '\0' : 0) : arrayOf(sequence)
    this.#elements = view(this.typecode, allocate(this.typecode, initial.length))
    initial.forEach((value, i) => (this.#elements[i] = toElement(this.typecode, value)))
  }

  len(): number {
    return this.#elements.length
  }
  get(index: number): unknown {
    return fromElement(this.typecode, this.#elements[listIndex(index, this.#elements.length, 'array index out of range')] as number | bigint)
  }
  set(index: number, value: unknown): void {
    this.#elements[listIndex(index, this.#elements.length, 'array assignment index out of range')] = toElement(this.typecode, value)
  }
  slice(start?: SliceBound, stop?: SliceBound, step?: SliceBound): unknown[] {
    return sliceIndices(this.#elements.length, start, stop, step).map((at) => fromElement(this.typecode, this.#elements[at] as number | bigint))
  }
  toArray(): unknown[] {
    return this.slice()
  }
  [kGetValue](): unknown {
    return this.toArray()
  }
  toString(): string {
    return `array(${repr(this.typecode)}, [${this.toArray().map(repr).join(', ')}])`
  }
}
