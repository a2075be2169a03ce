/**
 * Python's `SyncManager` (what `multiprocessing.Manager()` returns): a manager with shared
 * containers and synchronization objects registered.
 *
 * @module
 */
import { ConcTypeError } from '../errors.js'
import type { BasePool, PoolOptions } from '../executor/pool.js'
import { callerModule, targetSpec } from '../internal/target-ref.js'
import type { AnyFunction } from '../runner.js'
import { Barrier } from '../sync/barrier.js'
import { Condition } from '../sync/condition.js'
import { Event } from '../sync/event.js'
import type { Element, Typecode } from '../sync/internal/typecodes.js'
import { Lock } from '../sync/lock.js'
import { JoinableQueue, Queue } from '../sync/queue.js'
import { RLock } from '../sync/rlock.js'
import { BoundedSemaphore, Semaphore } from '../sync/semaphore.js'
import { BaseManager, loadRuntime } from './base-manager.js'
import { ArrayProxy, AsyncResultProxy, DictProxy, IteratorProxy, ListProxy, NamespaceProxy, PoolProxy, ValueProxy } from './proxies.js'

/** A `Map`, `[key, value]` pairs, or (for string keys) a plain object. */
export type DictInit<K, V> = Map<K, V> | Iterable<readonly [K, V]> | (K extends string ? Record<K, V> : never)

const asArray = <T>(values: Iterable<T> | undefined): T[] | undefined => (values === undefined || Array.isArray(values) ? (values as T[] | undefined) : [...values])

/**
 * Python's `SyncManager`: `dict()`, `list()`, `Namespace()`, `Value()`, `Array()` return proxies
 * to containers kept by the manager; `Queue()`, `Lock()`, `Condition()` and the other
 * synchronization objects return @conc's own classes whose operations go to the manager, so they
 * have the same methods as the primitives. Every proxy can be passed to threads, processes and
 * pool tasks, and stored in a managed container (nested proxies).
 *
 * The backend packages export it as `Manager` (with `Pool()` making their kind of pool).
 *
 * @example
 * ```ts
 * await using manager = new Manager()
 * const counts = await manager.dict<string, number>()
 * const lock = await manager.Lock()
 * // in each unit (counts and lock passed in args):
 * {
 *   await using _ = await lock.hold()
 *   await counts.set(name, ((await counts.get(name)) ?? 0) + 1)
 * }
 * ```
 */
export class SyncManager extends BaseManager {
  /** A managed dict (Python's `dict`), filled from `initial`. */
  dict<K = string, V = unknown>(initial?: DictInit<K, V>): Promise<DictProxy<K, V>> {
    const sent = initial === undefined || initial instanceof Map || Array.isArray(initial) || Object.getPrototypeOf(initial) === Object.prototype ? initial : asArray(initial as Iterable<readonly [K, V]>)
    return this.create('dict', ...(sent === undefined ? [] : [sent]))
  }

  /** A managed list (Python's `list`), filled from `initial`. */
  list<T = unknown>(initial?: Iterable<T>): Promise<ListProxy<T>> {
    return this.create('list', ...(initial === undefined ? [] : [asArray(initial)]))
  }

  /** A managed `Namespace` with the names and values of `initial`. */
  Namespace<T extends Record<string, unknown> = Record<string, unknown>>(initial?: T): Promise<NamespaceProxy<T>> {
    return this.create('Namespace', ...(initial === undefined ? [] : [initial]))
  }

  /** A managed `Value(typecode, value)`: Python's manager `Value`, read with `get()`, written with `set()`. */
  Value<T = unknown>(typecode: string, value: T): Promise<ValueProxy<T>> {
    return this.create('Value', typecode, value)
  }

  /** A managed `Array(typecode, sequence)` (Python's `array.array`): a length, or the initial items. */
  Array<C extends Typecode>(typecode: C, sequence: Iterable<Element<C>> | number): Promise<ArrayProxy<C>> {
    return this.create('Array', typecode, typeof sequence === 'number' ? sequence : asArray(sequence))
  }

  /** A managed `Queue(maxsize)`: the methods of @conc's `Queue`, its items kept by the manager. */
  Queue<T = unknown>(maxsize = 0): Promise<Queue<T>> {
    return this.create('Queue', maxsize)
  }

  /** A managed `JoinableQueue(maxsize)`. */
  JoinableQueue<T = unknown>(maxsize = 0): Promise<JoinableQueue<T>> {
    return this.create('JoinableQueue', maxsize)
  }

  /**
   * A managed `Lock`. Held by a unit that dies, it is released, as the primitives are (with a
   * `CONC_ABANDONED_LOCK` warning).
   */
  Lock(): Promise<Lock> {
    return this.create('Lock')
  }

  /** A managed `RLock`. */
  RLock(): Promise<RLock> {
    return this.create('RLock')
  }

  /** A managed `Semaphore(value)`. */
  Semaphore(value = 1): Promise<Semaphore> {
    return this.create('Semaphore', value)
  }

  /** A managed `BoundedSemaphore(value)`. */
  BoundedSemaphore(value = 1): Promise<BoundedSemaphore> {
    return this.create('BoundedSemaphore', value)
  }

  /** A managed `Condition` over `lock` (a managed `Lock` or `RLock` of this manager; default a new `RLock`). */
  Condition(lock?: Lock | RLock): Promise<Condition> {
    return this.create('Condition', ...(lock === undefined ? [] : [lock]))
  }

  /** A managed `Event`. */
  Event(): Promise<Event> {
    return this.create('Event')
  }

  /**
   * A managed `Barrier(parties, action, timeout)`. The action runs in the unit that arrives last;
   * it travels by reference, like a target (export it from its module).
   */
  Barrier(parties: number, action?: (() => unknown) | null, timeout?: number | null): Promise<Barrier> {
    if (action !== undefined && action !== null && typeof action !== 'function') throw new ConcTypeError('the barrier action must be a function')
    const spec = action === undefined || action === null ? null : targetSpec(action as AnyFunction, callerModule())
    return this.create('Barrier', parties, spec, timeout ?? null)
  }

  /**
   * A pool kept by the manager (Python's `Manager().Pool()`): units call it through the proxy,
   * with functions exported from their modules. The backend's `Manager` makes its own kind of
   * pool.
   */
  Pool(options?: PoolOptions): Promise<PoolProxy> {
    return this.create('Pool', ...(options === undefined ? [] : [options]))
  }

  /** For a backend's `Manager`: how `Pool()` makes its pool. */
  protected static registerPool(make: (options?: PoolOptions) => BasePool): void {
    this.register('Pool', async (options?: PoolOptions) => new (await loadRuntime()).ManagedPool(make(options)), {
      proxytype: PoolProxy,
      methodToTypeid: { applyAsync: 'AsyncResult', mapAsync: 'AsyncResult', starmapAsync: 'AsyncResult', imap: 'Iterator', imapUnordered: 'Iterator' },
      createMethod: false,
    })
  }
}

const builtin = { createMethod: false } as const

SyncManager.register('dict', async (initial?: unknown) => new (await loadRuntime()).ManagedDict(initial), { ...builtin, proxytype: DictProxy })
SyncManager.register('list', async (initial?: unknown) => new (await loadRuntime()).ManagedList(initial), { ...builtin, proxytype: ListProxy })
SyncManager.register('Namespace', async (initial?: Record<string, unknown>) => new (await loadRuntime()).Namespace(initial), {
  ...builtin,
  proxytype: NamespaceProxy,
})
SyncManager.register('Value', async (typecode: string, value: unknown) => new (await loadRuntime()).ManagedValue(typecode, value), {
  ...builtin,
  proxytype: ValueProxy,
})
SyncManager.register('Array', async (typecode: string, sequence: unknown) => new (await loadRuntime()).ManagedArray(typecode, sequence), {
  ...builtin,
  proxytype: ArrayProxy,
})
SyncManager.register('Queue', (maxsize?: number) => new Queue(maxsize), builtin)
SyncManager.register('JoinableQueue', (maxsize?: number) => new JoinableQueue(maxsize), builtin)
SyncManager.register('Lock', () => new Lock(), builtin)
SyncManager.register('RLock', () => new RLock(), builtin)
SyncManager.register('Semaphore', (value?: number) => new Semaphore(value), builtin)
SyncManager.register('BoundedSemaphore', (value?: number) => new BoundedSemaphore(value), builtin)
SyncManager.register('Event', () => new Event(), builtin)
SyncManager.register(
  'Condition',
  async (lock?: unknown) => {
    if (lock === undefined) return new Condition()
    // In the owner a managed lock of this manager is its referent: the condition waits on it.
    const referent = (await loadRuntime()).referentOf(lock)
    if (!(referent instanceof Lock) && !(referent instanceof RLock)) throw new ConcTypeError('Condition() needs a Lock or an RLock of the same manager')
    return new Condition(referent)
  },
  builtin,
)
SyncManager.register(
  'Barrier',
  async (parties: number, action: unknown, timeout: number | null) => {
    const fn = action === null ? null : await (await loadRuntime()).functionOf(action)
    return new Barrier(parties, fn as (() => unknown) | null, timeout)
  },
  builtin,
)
SyncManager.register('AsyncResult', undefined, { ...builtin, proxytype: AsyncResultProxy })
SyncManager.register('Iterator', undefined, { ...builtin, proxytype: IteratorProxy })
