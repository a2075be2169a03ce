/**
 * The comparison again, written once against a pool and run three times, only the import
 * changing: `ThreadPool` of @conc/threading, `Pool` of @conc/multiprocessing, and `Pool` of
 * @conc/distributed, whose tasks run on worker hosts (`conc-worker`) through Redis.
 */
import type { Pool as LocalPool } from '@conc/multiprocessing'
import { countPrimes } from './tasks.js'
import { fromModule } from '@conc/threading'

// countPrimes is exported from tasks.js, not from this module: say where the pools find it.
const work = fromModule(countPrimes, new URL('./tasks.js', import.meta.url))

/** What the three backends have in common: a pool class taking `processes` (and, for Redis, where it is). */
export type PoolClass = new (options: { processes: number } & Record<string, unknown>) => Pick<LocalPool, 'starmap' | 'close' | 'join'>

export interface PoolRun {
  readonly primes: number
  readonly ms: number
}

/** Counts the primes below `limit` in `slices` slices with `Pool`: one `starmap`, then close + join. */
export async function countWithPool(Pool: PoolClass, limit: number, slices: number, options: Record<string, unknown> = {}): Promise<PoolRun> {
  const start = performance.now()
  const pool = new Pool({ processes: slices, ...options })
  try {
    const counts = await pool.starmap(work, Array.from({ length: slices }, (_, i) => [limit, i, slices] as const))
    return { primes: counts.reduce((a, b) => a + b, 0), ms: performance.now() - start }
  } finally {
    pool.close()
    await pool.join()
  }
}

/** Counts them inline, one slice after another. */
export function countInline(limit: number, slices: number): PoolRun {
  const start = performance.now()
  let primes = 0
  for (let i = 0; i < slices; i++) primes += countPrimes(limit, i, slices)
  return { primes, ms: performance.now() - start }
}
