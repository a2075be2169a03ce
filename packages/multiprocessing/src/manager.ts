import { SyncManager } from '@conc/core'
import { Pool } from './process-pools.js'

/**
 * Python's `multiprocessing.Manager()`: a `SyncManager` whose `Pool()` is a process `Pool`. Its
 * objects live in the process that creates it (there is no server process); proxies to them reach
 * every process (and thread) they are passed to.
 *
 * @example
 * ```ts
 * import { Manager, Process, isMain, type DictProxy, type Lock } from '@conc/multiprocessing'
 * export async function work(counts: DictProxy<string, number>, lock: Lock, name: string) {
 *   await using _ = await lock.hold()
 *   await counts.set(name, ((await counts.get(name)) ?? 0) + 1)
 * }
 * if (isMain(import.meta)) {
 *   await using manager = new Manager()
 *   const [counts, lock] = [await manager.dict<string, number>(), await manager.Lock()]
 *   const procs = ['a', 'b', 'a'].map((name) => new Process({ target: work, args: [counts, lock, name] }))
 *   for (const p of procs) p.start()
 *   for (const p of procs) await p.join()
 *   console.log(await counts.toObject()) // { a: 2, b: 1 }
 * }
 * ```
 */
export class Manager extends SyncManager {
  static {
    this.registerPool((options) => new Pool(options))
  }
}
