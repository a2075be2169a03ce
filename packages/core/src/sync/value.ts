/**
 * Python's `Value` and `Array` (`multiprocessing.sharedctypes`): typed values in shared memory.
 *
 * @module
 */
import { ConcTypeError, ValueError } from '../errors.js'
import { checkInteger, show } from '../internal/validate.js'
import { withIndexing } from '../internal/indexed.js'
import { Lock } from './lock.js'
import { RLock } from './rlock.js'
import { type Description, type OpContext, Primitive, type SharedState, kDescribe } from './internal/shared.js'
import { type Element, type Elements, type Typecode, allocate, checkTypecode, fromElement, toElement, view } from './internal/typecodes.js'
import { type SliceBound, resolveIndex, sliceIndices } from './internal/slices.js'
import { keepFresh } from './internal/client.js'
import { track } from './internal/pending.js'
import { registerPrimitive } from './internal/travel.js'

/** The typed elements of a `Value` (one) or an `Array`, in shared memory. */
export class ArrayState implements SharedState {
  readonly elements: Elements
  constructor(
    readonly typecode: Typecode,
    readonly buffer: SharedArrayBuffer,
    readonly length: number,
  ) {
    this.elements = view(typecode, buffer)
  }
  static create(typecode: Typecode, initial: readonly unknown[]): ArrayState {
    const state = new ArrayState(typecode, allocate(typecode, initial.length), initial.length)
    initial.forEach((value, i) => (state.elements[i] = toElement(typecode, value)))
    return state
  }
  static fromShared(shared: unknown): ArrayState {
    const { typecode, buffer, length } = shared as { typecode: Typecode; buffer: SharedArrayBuffer; length: number }
    return new ArrayState(typecode, buffer, length)
  }
  toShared(): unknown {
    return { typecode: this.typecode, buffer: this.buffer, length: this.length }
  }
  get(i: number): unknown {
    return fromElement(this.typecode, this.elements[i]!)
  }
  set(i: number, value: unknown): void {
    this.elements[i] = toElement(this.typecode, value)
  }
  /** Writes `values` at `indices`, all or nothing: every value is checked before any is stored. */
  setMany(indices: readonly number[], values: readonly unknown[]): void {
    const elements = values.map((value) => toElement(this.typecode, value))
    indices.forEach((at, i) => (this.elements[at] = elements[i]!))
  }
  snapshot(): unknown[] {
    return Array.from({ length: this.length }, (_, i) => this.get(i))
  }
  load(_ctx: OpContext): unknown[] {
    return this.snapshot()
  }
  store(_ctx: OpContext, i: number, value: unknown): void {
    this.set(i, value)
  }
  storeMany(_ctx: OpContext, indices: readonly number[], values: readonly unknown[]): void {
    this.setMany(indices, values)
  }
  recover(_ctx: OpContext): void {}
}

/** What `Value(…, { lock })` and `Array(…, { lock })` accept, as Python's `lock=` does. */
export interface SharedOptions {
  /** `true` (default): a new `RLock`; `false`: no lock (no `getLock()`); or the lock to use. */
  readonly lock?: boolean | Lock | RLock | undefined
}

function chooseLock(option: unknown): Lock | RLock | undefined {
  if (option === undefined || option === true) return new RLock()
  if (option === false) return undefined
  if (option instanceof Lock || option instanceof RLock) return option
  throw new ConcTypeError(`lock must be a boolean, a Lock or an RLock, got ${String(option)} (it has no 'acquire')`)
}

/** Shared machinery of `Value` and `Array`: the lock, and a process-side copy kept fresh. */
abstract class Shared extends Primitive {
  readonly typecode: Typecode
  private readonly lockRef: Lock | RLock | undefined
  /** In a child process: the values as last seen; refreshed after every acquire or wait, and by `load()`. */
  protected copy: unknown[] = []

  protected constructor(typecode: Typecode, initial: readonly unknown[], options: SharedOptions | undefined) {
    super(() => ArrayState.create(typecode, initial))
    this.typecode = typecode
    this.lockRef = chooseLock(options?.lock)
    if (this.local === undefined) {
      this.copy = [...initial]
      keepFresh(this)
    }
  }

  /**
   * The lock that guards this object (Python's `get_lock()`). Read-modify-write is not atomic:
   * hold the lock around it.
   *
   * @throws {TypeError} when created with `lock: false`
   */
  getLock(): Lock | RLock {
    if (this.lockRef === undefined) throw new ConcTypeError(`this ${this.constructor.name} was created with lock: false and has no getLock()`)
    return this.lockRef
  }

  protected read(i: number): unknown {
    const state = this.local as ArrayState | undefined
    return state === undefined ? this.copy[i] : state.get(i)
  }

  protected write(i: number, value: unknown): void {
    const state = this.local as ArrayState | undefined
    if (state !== undefined) return state.set(i, value)
    toElement(this.typecode, value)
    this.copy[i] = value
    track(this.op('store', [i, value]))
  }

  /** A slice assignment: one operation, so it lands at once where the values live. */
  protected writeMany(indices: readonly number[], values: readonly unknown[]): void {
    const state = this.local as ArrayState | undefined
    if (state !== undefined) return state.setMany(indices, values)
    for (const value of values) toElement(this.typecode, value)
    indices.forEach((at, i) => (this.copy[at] = values[i]))
    track(this.op('storeMany', [indices, values]))
  }

  /** The current values, read where they live (in a child process: from the parent). */
  protected async loadAll(): Promise<unknown[]> {
    const state = this.local as ArrayState | undefined
    if (state !== undefined) return state.snapshot()
    this.copy = await this.op<unknown[]>('load')
    return this.copy
  }

  abstract load(): Promise<unknown>

  /** @internal */
  protected meta(dest: string): Record<string, unknown> {
    const state = this.local as ArrayState | undefined
    const values = dest === 'process' ? (state?.snapshot() ?? this.copy) : null
    return { typecode: this.typecode, length: state?.length ?? this.copy.length, values, lock: this.lockRef ?? false }
  }
}

/**
 * Python's `Value(typecode, value=0, lock=True)`: one typed number in shared memory. Threads
 * read and write the same memory. A child process reads its last copy, refreshed when it
 * acquires `getLock()` or calls `load()`; its writes reach the parent in order, before its next
 * request and before it finishes (see docs/primitives.md).
 *
 * @example
 * ```ts
 * const counter = new Value('i', 0)
 * // in each unit:
 * { await using _ = await counter.getLock().hold(); counter.value += 1 }
 * ```
 */
export class Value<C extends Typecode = Typecode> extends Shared {
  constructor(typecode: C, value?: NoInfer<Element<C>>, options?: SharedOptions) {
    const code = checkTypecode(typecode)
    super(code, [value ?? (code === 'c' ? '\0' : code === 'q' || code === 'Q' || code === 'l' || code === 'L' ? 0n : 0)], options)
  }

  /**
   * The value (see the class notes for child processes). Setting it checks the type as Python's
   * ctypes does: an integer typecode refuses a fraction (`TypeError: int expected instead of
   * float`) instead of truncating it.
   */
  get value(): Element<C> {
    return this.read(0) as Element<C>
  }
  set value(value: Element<C>) {
    this.write(0, value)
  }

  /** The value as it is now where it lives. */
  async load(): Promise<Element<C>> {
    return (await this.loadAll())[0] as Element<C>
  }

  /** @internal */
  override [kDescribe](dest: string): Description {
    return { type: 'Value', meta: this.meta(dest) }
  }

  override toString(): string {
    return `<Value ${this.typecode} ${String(this.value)}>`
  }
}

/**
 * Python's `Array(typecode, size_or_initializer, lock=True)`: a fixed-length typed array in
 * shared memory, indexed as in Python, with brackets or with `get`/`set`: `arr[-1]` is the last
 * element, an index out of range throws `IndexError` (`invalid index`) instead of reading
 * `undefined`, and a fraction is a `TypeError`. Python's slices are `slice(start, stop, step)`
 * and `setSlice(start, stop, values, step)`. Same sharing rules as {@link Value}.
 *
 * @example
 * ```ts
 * const arr = new SharedArray('i', [1, 2, 3, 4])  // exported as `Array` by the backends
 * arr[-1] = 40                                     // arr[-1] = 40
 * arr.setSlice(0, 2, [10, 20])                     // arr[0:2] = [10, 20]
 * console.log(arr.slice(null, null, -1))           // arr[::-1] → [40, 3, 20, 10]
 * ```
 */
export class SharedArray<C extends Typecode = Typecode> extends Shared {
  [index: number]: Element<C>
  readonly length: number

  /**
   * @throws {ValueError} for a negative size; {TypeError} for a size that is not an integer or
   *   an element the typecode cannot hold
   */
  constructor(typecode: C, sizeOrInitializer: number | Iterable<NoInfer<Element<C>>>, options?: SharedOptions) {
    const code = checkTypecode(typecode)
    const zero = code === 'c' ? '\0' : code === 'q' || code === 'Q' || code === 'l' || code === 'L' ? 0n : 0
    let initial: unknown[]
    if (typeof sizeOrInitializer === 'number') {
      const size = checkInteger(sizeOrInitializer, 'Array size', 0, (n) => `Array length must be >= 0, not ${n}`)
      initial = new Array<unknown>(size).fill(zero)
    } else if (typeof (sizeOrInitializer as Partial<Iterable<unknown>> | null)?.[Symbol.iterator] === 'function') {
      initial = [...sizeOrInitializer]
    } else {
      throw new ConcTypeError(`Array() takes a size or an iterable of initial values, got ${show(sizeOrInitializer)}`)
    }
    super(code, initial, options)
    this.length = initial.length
    // Brackets mean what get/set mean, so `arr[-1]` is never a silent `undefined`.
    return withIndexing(this)
  }

  /**
   * Element `i`; a negative `i` counts from the end, as in Python.
   *
   * @throws {IndexError} when out of range; {TypeError} when `i` is not an integer
   */
  get(i: number): Element<C> {
    return this.read(resolveIndex(i, this.length)) as Element<C>
  }

  /**
   * Sets element `i`; a negative `i` counts from the end, as in Python.
   *
   * @throws {IndexError} when out of range; {TypeError} when `i` is not an integer or `value`
   *   does not fit the typecode
   */
  set(i: number, value: Element<C>): void {
    this.write(resolveIndex(i, this.length), value)
  }

  /**
   * A copy of `arr[start:stop:step]`, with Python's slice rules: bounds may be negative or out of
   * range, `null`/`undefined` is Python's `None`, `step` may be negative (not 0).
   *
   * @example
   * ```ts
   * arr.slice(1, 3)            // arr[1:3]
   * arr.slice(-2)              // arr[-2:]
   * arr.slice(null, null, 2)   // arr[::2]
   * ```
   */
  slice(start?: SliceBound, stop?: SliceBound, step?: SliceBound): Element<C>[] {
    return sliceIndices(this.length, start, stop, step).map((at) => this.read(at) as Element<C>)
  }

  /**
   * Python's slice assignment `arr[start:stop:step] = values`. The length cannot change, so
   * `values` must have as many items as the slice; every value is checked before any is written.
   * In a child process the whole slice is one operation on the owner.
   *
   * @example
   * ```ts
   * arr.setSlice(0, 2, [7, 8])          // arr[0:2] = [7, 8]
   * arr.setSlice(null, null, [0, 0], 2) // arr[::2] = [0, 0] (on a 4-element array)
   * ```
   * @throws {ValueError} `Can only assign sequence of same size`; {TypeError} for a value that
   *   does not fit the typecode
   */
  setSlice(start: SliceBound, stop: SliceBound, values: Iterable<Element<C>>, step?: SliceBound): void {
    const indices = sliceIndices(this.length, start, stop, step)
    const list = [...values] as unknown[]
    if (list.length !== indices.length) throw new ValueError('Can only assign sequence of same size')
    this.writeMany(indices, list)
  }

  toArray(): Element<C>[] {
    return Array.from({ length: this.length }, (_, i) => this.read(i) as Element<C>)
  }

  [Symbol.iterator](): Iterator<Element<C>> {
    return this.toArray()[Symbol.iterator]()
  }

  /** The elements as they are now where they live. */
  async load(): Promise<Element<C>[]> {
    return (await this.loadAll()) as Element<C>[]
  }

  /** @internal */
  override [kDescribe](dest: string): Description {
    return { type: 'Array', meta: this.meta(dest) }
  }

  override toString(): string {
    return `<Array ${this.typecode} [${this.toArray().map(String).join(', ')}]>`
  }
}

// How a Value/Array travels: a thread gets the same memory, a process a copy of the values and a proxy.
registerPrimitive('Value', import.meta.url, {
  state: ArrayState.fromShared,
  build: (meta) => () => new Value(meta.typecode as Typecode, (meta.values as unknown[] | null)?.[0] as never, { lock: meta.lock as Lock | RLock | false }),
})
registerPrimitive('Array', import.meta.url, {
  state: ArrayState.fromShared,
  build: (meta) => () =>
    new SharedArray(meta.typecode as Typecode, ((meta.values as unknown[] | null) ?? (meta.length as number)) as never, {
      lock: meta.lock as Lock | RLock | false,
    } as never),
})
