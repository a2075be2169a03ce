/**
 * Python's `Value` and `Array` (`multiprocessing.sharedctypes`): typed values in shared memory.
 *
 * @module
 */
import { ConcTypeError } from '../errors.js'
import { Lock } from './lock.js'
import { RLock } from './rlock.js'
import { type Description, type OpContext, Primitive, type SharedState, kDescribe } from './internal/shared.js'
import { type Element, type Elements, type Typecode, allocate, checkTypecode, fromElement, toElement, view } from './internal/typecodes.js'
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
  snapshot(): unknown[] {
    return Array.from({ length: this.length }, (_, i) => this.get(i))
  }
  load(_ctx: OpContext): unknown[] {
    return this.snapshot()
  }
  store(_ctx: OpContext, i: number, value: unknown): void {
    this.set(i, value)
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

  /** The value (see the class notes for child processes). */
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
 * shared memory, indexed like an array (`arr[0] = 5`). Same sharing rules as {@link Value}.
 *
 * @example
 * ```ts
 * const arr = new SharedArray('i', 10)       // exported as `Array` by the backends
 * arr[3] = 7
 * console.log(arr.length, [...arr])
 * ```
 */
export class SharedArray<C extends Typecode = Typecode> extends Shared {
  [index: number]: Element<C>
  readonly length: number

  constructor(typecode: C, sizeOrInitializer: number | Iterable<NoInfer<Element<C>>>, options?: SharedOptions) {
    const code = checkTypecode(typecode)
    const zero = code === 'c' ? '\0' : code === 'q' || code === 'Q' || code === 'l' || code === 'L' ? 0n : 0
    const initial: unknown[] = typeof sizeOrInitializer === 'number' ? new Array<unknown>(sizeOrInitializer).fill(zero) : [...sizeOrInitializer]
    super(code, initial, options)
    this.length = initial.length
    return new Proxy(this, {
      get: (target, key, receiver) => (typeof key === 'string' && /^\d+$/.test(key) ? target.get(Number(key)) : Reflect.get(target, key, receiver)),
      set: (target, key, value, receiver) => {
        if (typeof key === 'string' && /^\d+$/.test(key)) {
          target.set(Number(key), value as Element<C>)
          return true
        }
        return Reflect.set(target, key, value, receiver)
      },
    })
  }

  private index(i: number): number {
    const at = i < 0 ? this.length + i : i
    if (!Number.isInteger(at) || at < 0 || at >= this.length) throw new RangeError('array index out of range')
    return at
  }

  /** Element `i` (negative counts from the end). */
  get(i: number): Element<C> {
    return this.read(this.index(i)) as Element<C>
  }

  /** Sets element `i` (negative counts from the end). */
  set(i: number, value: Element<C>): void {
    this.write(this.index(i), value)
  }

  /** A copy of elements `start` to `end`, as Python's slicing. */
  slice(start?: number, end?: number): Element<C>[] {
    return this.toArray().slice(start, end)
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
