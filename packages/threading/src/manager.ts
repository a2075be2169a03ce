import { SyncManager } from '@conc/core'
import { ThreadPool } from './thread-pools.js'

/**
 * Python's `multiprocessing.Manager()` for this backend: a `SyncManager` whose `Pool()` is a
 * `ThreadPool`. Its objects live in the thread that creates it; proxies to them reach every
 * thread (and process) they are passed to.
 *
 * @example
 * ```ts
 * import { Manager, Thread, isMain, type DictProxy, type Lock } from '@conc/threading'
 * export async function work(counts: DictProxy<string, number>, lock: Lock, name: string) {
 *   await using _ = await lock.hold()
 *   await counts.set(name, ((await counts.get(name)) ?? 0) + 1)
 * }
 * if (isMain(import.meta)) {
 *   await using manager = new Manager()
 *   const [counts, lock] = [await manager.dict<string, number>(), await manager.Lock()]
 *   const threads = ['a', 'b', 'a'].map((name) => new Thread({ target: work, args: [counts, lock, name] }))
 *   for (const t of threads) t.start()
 *   for (const t of threads) await t.join()
 *   console.log(await counts.toObject()) // { a: 2, b: 1 }
 * }
 * ```
 */
export class Manager extends SyncManager {
  static {
    this.registerPool((options) => new ThreadPool(options))
  }
}
