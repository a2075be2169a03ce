/**
 * The proxies a `SyncManager` returns for `dict()`, `list()`, `Namespace()`, `Value()`, `Array()`
 * and `Pool()` (and the pool's results). Each method is one round trip to the manager; the bulk
 * methods (`update`, `items`, `extend`, `copy`, `toObject`) move many items in one.
 *
 * Values are copied on the way in and out, as Python pickles them: changing an object you read
 * from a proxy changes your copy, not the managed one. Write it back with `set()`, or store a
 * proxy (a managed list inside a managed dict) where you want shared, nested state.
 *
 * @module
 */
import type { AnyFunction } from '../runner.js'
import type { Element, Typecode } from '../sync/internal/typecodes.js'
import type { SliceBound } from '../sync/internal/slices.js'
import { callerModule, targetSpec } from '../internal/target-ref.js'
import { ConcTypeError } from '../errors.js'
import { BaseProxy, type CallOptions } from './proxy.js'

type Entries<K, V> = Map<K, V> | Iterable<readonly [K, V]> | (K extends string ? Record<K, V> : never)

/** Something a method can send: a `Map`, an array, a plain object (a generator becomes an array). */
function sendable(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Map || value instanceof Set) return value
  if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) return value
  if (typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') return [...(value as Iterable<unknown>)]
  return value
}

/**
 * A proxy to a managed dict (Python's `DictProxy`), with `Map`'s names and Python's methods.
 * Keys keep their type (`1` and `'1'` are two keys); they must be strings, numbers, bigints,
 * booleans, `null` or `undefined`. `for await (const [key, value] of d)` reads a snapshot of the
 * items in one round trip.
 *
 * @example
 * ```ts
 * const d = await manager.dict<string, number>({ a: 1 })
 * await d.set('b', 2)
 * console.log(await d.get('a'))       // 1
 * await d.update({ c: 3, d: 4 })      // one round trip for many keys
 * console.log(await d.toObject())     // { a: 1, b: 2, c: 3, d: 4 }
 * ```
 */
export class DictProxy<K = unknown, V = unknown> extends BaseProxy implements AsyncIterable<[K, V]> {
  /** The value of `key`, or `fallback` (default `undefined`) when it has none. */
  get(key: K): Promise<V | undefined>
  get<D>(key: K, fallback: D): Promise<V | D>
  get(key: K, fallback?: unknown): Promise<unknown> {
    return this.callMethod('get', [key, fallback])
  }
  /** The value of `key` (Python's `d[key]`). @throws {KeyError} when it has none */
  getItem(key: K): Promise<V> {
    return this.callMethod('getItem', [key])
  }
  /** Sets `key` to `value` (Python's `d[key] = value`). @throws {TypeError} for an unhashable key */
  set(key: K, value: V): Promise<void> {
    return this.callMethod('set', [key, value])
  }
  /** Whether `key` is in the dict (Python's `key in d`). */
  has(key: K): Promise<boolean> {
    return this.callMethod('has', [key])
  }
  /** Removes `key`; `true` when it was there. */
  delete(key: K): Promise<boolean> {
    return this.callMethod('delete', [key])
  }
  /** Removes `key` and returns its value, or `fallback`. @throws {KeyError} when missing without a fallback */
  pop(key: K): Promise<V>
  pop<D>(key: K, fallback: D): Promise<V | D>
  pop(key: K, ...fallback: unknown[]): Promise<unknown> {
    return this.callMethod('pop', [key, ...fallback.slice(0, 1)])
  }
  /** Removes and returns the last inserted item. @throws {KeyError} when the dict is empty */
  popitem(): Promise<[K, V]> {
    return this.callMethod('popitem')
  }
  /** The value of `key`, after setting it to `fallback` if it had none. */
  setdefault(key: K, fallback: V): Promise<V> {
    return this.callMethod('setdefault', [key, fallback])
  }
  /** Sets many keys in one round trip, from a `Map`, `[key, value]` pairs or a plain object. */
  update(other: Entries<K, V>): Promise<void> {
    return this.callMethod('update', [sendable(other)])
  }
  keys(): Promise<K[]> {
    return this.callMethod('keys')
  }
  values(): Promise<V[]> {
    return this.callMethod('values')
  }
  /** Every `[key, value]` pair, in insertion order, in one round trip. */
  items(): Promise<[K, V][]> {
    return this.callMethod('items')
  }
  /** The number of items (Python's `len(d)`). */
  len(): Promise<number> {
    return this.callMethod('len')
  }
  clear(): Promise<void> {
    return this.callMethod('clear')
  }
  /** A copy of the dict, as a `Map` (keys keep their type). */
  copy(): Promise<Map<K, V>> {
    return this.callMethod('copy')
  }
  /** A copy of the dict as a plain object (keys become strings): what `JSON.stringify` wants. */
  toObject(): Promise<Record<string, V>> {
    return this.callMethod('toObject')
  }
  async *[Symbol.asyncIterator](): AsyncIterator<[K, V]> {
    yield* await this.items()
  }
}

/**
 * A proxy to a managed list (Python's `ListProxy`). Indices may be negative, as in Python; an
 * index out of range raises `IndexError`. `for await (const item of l)` reads a snapshot in one
 * round trip.
 *
 * @example
 * ```ts
 * const l = await manager.list<number>([1, 2])
 * await l.append(3)
 * await l.extend([4, 5])          // one round trip for many items
 * console.log(await l.get(-1))    // 5
 * console.log(await l.copy())     // [1, 2, 3, 4, 5]
 * ```
 */
export class ListProxy<T = unknown> extends BaseProxy implements AsyncIterable<T> {
  /** Item `index` (Python's `l[index]`). @throws {IndexError} when out of range */
  get(index: number): Promise<T> {
    return this.callMethod('get', [index])
  }
  /** Sets item `index` (Python's `l[index] = value`). @throws {IndexError} when out of range */
  set(index: number, value: T): Promise<void> {
    return this.callMethod('set', [index, value])
  }
  append(value: T): Promise<void> {
    return this.callMethod('append', [value])
  }
  /** Appends every item of `values` in one round trip. */
  extend(values: Iterable<T>): Promise<void> {
    return this.callMethod('extend', [Array.isArray(values) ? values : [...values]])
  }
  insert(index: number, value: T): Promise<void> {
    return this.callMethod('insert', [index, value])
  }
  /** Removes and returns item `index` (default: the last). @throws {IndexError} */
  pop(index?: number): Promise<T> {
    return this.callMethod('pop', index === undefined ? [] : [index])
  }
  /** Removes the first item equal to `value`. @throws {ValueError} `list.remove(x): x not in list` */
  remove(value: T): Promise<void> {
    return this.callMethod('remove', [value])
  }
  /** The index of the first item equal to `value`. @throws {ValueError} when there is none */
  index(value: T, start?: number, stop?: number): Promise<number> {
    return this.callMethod('index', [value, start, stop])
  }
  count(value: T): Promise<number> {
    return this.callMethod('count', [value])
  }
  /** Whether an item equals `value` (Python's `value in l`). */
  includes(value: T): Promise<boolean> {
    return this.callMethod('includes', [value])
  }
  reverse(): Promise<void> {
    return this.callMethod('reverse')
  }
  /** Sorts in place with Python's ordering (numbers numerically, strings by code point). */
  sort(options?: { readonly reverse?: boolean }): Promise<void> {
    return this.callMethod('sort', [options])
  }
  /** The number of items (Python's `len(l)`). */
  len(): Promise<number> {
    return this.callMethod('len')
  }
  clear(): Promise<void> {
    return this.callMethod('clear')
  }
  /** A copy of `l[start:stop:step]`, with Python's slice rules. */
  slice(start?: SliceBound, stop?: SliceBound, step?: SliceBound): Promise<T[]> {
    return this.callMethod('slice', [start, stop, step])
  }
  /** `Array.prototype.splice` on the managed list, in one round trip; returns the removed items. */
  splice(start: number, deleteCount?: number, ...values: T[]): Promise<T[]> {
    return this.callMethod('splice', deleteCount === undefined ? [start] : [start, deleteCount, ...values])
  }
  /** A copy of the whole list (Python's `l[:]`). */
  copy(): Promise<T[]> {
    return this.callMethod('copy')
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* await this.copy()
  }
}

/**
 * A proxy to a managed `Namespace` (Python's `NamespaceProxy`): named values, read and written
 * with `get`/`set` (each a round trip, so no property pretends to be a plain field).
 *
 * @example
 * ```ts
 * const ns = await manager.Namespace({ x: 1 })
 * await ns.set('y', 2)
 * console.log(await ns.get('x'), await ns.toObject()) // 1 { x: 1, y: 2 }
 * ```
 */
export class NamespaceProxy<T extends Record<string, unknown> = Record<string, unknown>> extends BaseProxy {
  /** The value of `name`, or `fallback`. @throws {AttributeError} when it has none and no fallback is given */
  get<N extends keyof T & string>(name: N): Promise<T[N]>
  get<N extends keyof T & string, D>(name: N, fallback: D): Promise<T[N] | D>
  get(name: string, ...fallback: unknown[]): Promise<unknown> {
    return this.callMethod('get', [name, ...fallback.slice(0, 1)])
  }
  set<N extends keyof T & string>(name: N, value: T[N]): Promise<void> {
    return this.callMethod('set', [name, value])
  }
  /** Removes `name`. @throws {AttributeError} when it has none */
  delete(name: keyof T & string): Promise<void> {
    return this.callMethod('delete', [name])
  }
  has(name: keyof T & string): Promise<boolean> {
    return this.callMethod('has', [name])
  }
  /** Sets many names in one round trip. */
  update(values: Partial<T>): Promise<void> {
    return this.callMethod('update', [values])
  }
  /** A copy of every name and value. */
  toObject(): Promise<T> {
    return this.callMethod('toObject')
  }
}

/**
 * A proxy to a managed `Value(typecode, value)` (Python's `ValueProxy`): `get()` and `set()`.
 * Read-modify-write is two round trips: hold a managed lock around it when units share it.
 *
 * @example
 * ```ts
 * const v = await manager.Value('i', 0)
 * await v.set((await v.get()) + 1)
 * ```
 */
export class ValueProxy<T = unknown> extends BaseProxy {
  get(): Promise<T> {
    return this.callMethod('get')
  }
  set(value: T): Promise<void> {
    return this.callMethod('set', [value])
  }
}

/**
 * A proxy to a managed `Array(typecode, sequence)` (Python's `ArrayProxy` over `array.array`):
 * typed elements checked as ctypes checks them.
 *
 * @example
 * ```ts
 * const arr = await manager.Array('i', [1, 2, 3])
 * await arr.set(-1, 30)
 * console.log(await arr.toArray()) // [1, 2, 30]
 * ```
 */
export class ArrayProxy<C extends Typecode = Typecode> extends BaseProxy implements AsyncIterable<Element<C>> {
  len(): Promise<number> {
    return this.callMethod('len')
  }
  /** @throws {IndexError} when out of range */
  get(index: number): Promise<Element<C>> {
    return this.callMethod('get', [index])
  }
  /** @throws {IndexError} when out of range; {TypeError} when the value does not fit the typecode */
  set(index: number, value: Element<C>): Promise<void> {
    return this.callMethod('set', [index, value])
  }
  slice(start?: SliceBound, stop?: SliceBound, step?: SliceBound): Promise<Element<C>[]> {
    return this.callMethod('slice', [start, stop, step])
  }
  toArray(): Promise<Element<C>[]> {
    return this.callMethod('toArray')
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Element<C>> {
    yield* await this.toArray()
  }
}

/** A function shipped to the manager's pool: by reference to its module, like a target. */
function shipped(fn: unknown): unknown {
  if (typeof fn !== 'function') throw new ConcTypeError(`the pool needs a function, got ${typeof fn}`)
  return targetSpec(fn as AnyFunction, callerModule())
}

function noCallbacks(options: object | undefined): void {
  if (options !== undefined && ('callback' in options || 'errorCallback' in options)) {
    throw new ConcTypeError('a managed pool cannot call back into this unit: await the result instead of passing callback/errorCallback')
  }
}

/** Options of a managed pool's map methods. */
export interface ManagedMapOptions {
  readonly chunksize?: number | undefined
}

/**
 * A proxy to a result of a managed pool's `applyAsync`/`mapAsync` (Python's `AsyncResult` proxy).
 *
 * @example
 * ```ts
 * const result = await pool.applyAsync(square, [7])
 * console.log(await result.get(5)) // 49
 * ```
 */
export class AsyncResultProxy<T = unknown> extends BaseProxy {
  /** The result; the task's error, or `TimeoutError` after `timeout` seconds. */
  get(timeout?: number | null): Promise<T> {
    return this.callMethod('get', [timeout])
  }
  wait(timeout?: number | null): Promise<void> {
    return this.callMethod('wait', [timeout])
  }
  ready(): Promise<boolean> {
    return this.callMethod('ready')
  }
  /** @throws {ValueError} when not ready */
  successful(): Promise<boolean> {
    return this.callMethod('successful')
  }
}

/**
 * A proxy to a managed pool's `imap` iterator (Python's `IteratorProxy`): one round trip per item.
 *
 * @example
 * ```ts
 * for await (const square of await pool.imap(square, [1, 2, 3])) console.log(square)
 * ```
 */
export class IteratorProxy<T = unknown> extends BaseProxy implements AsyncIterableIterator<T, undefined> {
  /** The next result; `TimeoutError` after `timeout` seconds (nothing consumed). */
  next(timeout?: number | null): Promise<IteratorResult<T, undefined>> {
    return this.callMethod('next', [timeout])
  }
  [Symbol.asyncIterator](): this {
    return this
  }
}

/**
 * A proxy to a managed pool (Python's `PoolProxy`): the pool runs in the manager's owner, and
 * its functions travel by reference, like targets (export them from their module).
 *
 * @example
 * ```ts
 * const pool = await manager.Pool({ processes: 2 })
 * console.log(await pool.map(square, [1, 2, 3])) // [1, 4, 9]
 * ```
 */
export class PoolProxy extends BaseProxy {
  apply<F extends AnyFunction>(fn: F, args: Readonly<Parameters<F>> = [] as never): Promise<Awaited<ReturnType<F>>> {
    return this.callMethod('apply', [shipped(fn), args])
  }
  applyAsync<F extends AnyFunction>(fn: F, args: Readonly<Parameters<F>> = [] as never, options?: object): Promise<AsyncResultProxy<Awaited<ReturnType<F>>>> {
    noCallbacks(options)
    return this.callMethod('applyAsync', [shipped(fn), args])
  }
  map<F extends AnyFunction>(fn: F, iterable: Iterable<Parameters<F>[0]>, options?: ManagedMapOptions): Promise<Awaited<ReturnType<F>>[]> {
    return this.callMethod('map', [shipped(fn), [...iterable], options])
  }
  mapAsync<F extends AnyFunction>(fn: F, iterable: Iterable<Parameters<F>[0]>, options?: ManagedMapOptions): Promise<AsyncResultProxy<Awaited<ReturnType<F>>[]>> {
    noCallbacks(options)
    return this.callMethod('mapAsync', [shipped(fn), [...iterable], options])
  }
  starmap<F extends AnyFunction>(fn: F, iterable: Iterable<Readonly<Parameters<F>>>, options?: ManagedMapOptions): Promise<Awaited<ReturnType<F>>[]> {
    return this.callMethod('starmap', [shipped(fn), [...iterable], options])
  }
  starmapAsync<F extends AnyFunction>(fn: F, iterable: Iterable<Readonly<Parameters<F>>>, options?: ManagedMapOptions): Promise<AsyncResultProxy<Awaited<ReturnType<F>>[]>> {
    noCallbacks(options)
    return this.callMethod('starmapAsync', [shipped(fn), [...iterable], options])
  }
  imap<F extends AnyFunction>(fn: F, iterable: Iterable<Parameters<F>[0]>, options?: ManagedMapOptions): Promise<IteratorProxy<Awaited<ReturnType<F>>>> {
    return this.callMethod('imap', [shipped(fn), [...iterable], options])
  }
  imapUnordered<F extends AnyFunction>(fn: F, iterable: Iterable<Parameters<F>[0]>, options?: ManagedMapOptions): Promise<IteratorProxy<Awaited<ReturnType<F>>>> {
    return this.callMethod('imapUnordered', [shipped(fn), [...iterable], options])
  }
  close(): Promise<void> {
    return this.callMethod('close')
  }
  terminate(): Promise<void> {
    return this.callMethod('terminate')
  }
  join(): Promise<void> {
    return this.callMethod('join')
  }
}

type Method<T, K extends keyof T> = T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never

/**
 * The proxy of a registered type without a `proxytype` (Python's `AutoProxy`): each exposed
 * method of `T`, returning a promise of its result.
 */
export type AutoProxy<T> = BaseProxy & {
  readonly [K in keyof T as K extends string ? (T[K] extends (...args: never[]) => unknown ? K : never) : never]: Method<T, K>
}

/** @internal The built-in proxy classes, by the name a token carries. */
export const BUILTIN_PROXIES: ReadonlyMap<string, new (...args: ConstructorParameters<typeof BaseProxy>) => BaseProxy> = new Map<
  string,
  new (...args: ConstructorParameters<typeof BaseProxy>) => BaseProxy
>([
  ['DictProxy', DictProxy],
  ['ListProxy', ListProxy],
  ['NamespaceProxy', NamespaceProxy],
  ['ValueProxy', ValueProxy],
  ['ArrayProxy', ArrayProxy],
  ['PoolProxy', PoolProxy],
  ['AsyncResultProxy', AsyncResultProxy],
  ['IteratorProxy', IteratorProxy],
])

export type { CallOptions }
