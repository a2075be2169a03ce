/**
 * Measures one pool library on the three workloads and prints one JSON line. Run by
 * bench/pools.mjs, one process per library, so libraries do not share a heap or a JIT.
 *
 *   node bench/pools/driver.mjs <library> <workers>
 */
import { countPrimes, inc, incChunk } from './tasks.mjs'

const TASKS = Number(process.env.BENCH_TASKS ?? 100_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const MAP_ITEMS = Number(process.env.BENCH_MAP_ITEMS ?? 1_000_000)
const CHUNK = Number(process.env.BENCH_CHUNK ?? 10_000)
const PRIME_INPUTS = Number(process.env.BENCH_PRIME_INPUTS ?? 64)
const PRIME_N = Number(process.env.BENCH_PRIME_N ?? 120_000)

const tasksUrl = new URL('./tasks.mjs', import.meta.url)
const here = (file) => new URL(file, import.meta.url)

/** Each library behind one shape: run(name, arg) → Promise, map(items) → values, close(). */
async function open(library, workers) {
  switch (library) {
    case 'conc-thread':
    case 'conc-process': {
      const lib = library === 'conc-thread' ? await import('@conc/threading') : await import('@conc/multiprocessing')
      const Executor = lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor
      const ex = new Executor({ maxWorkers: workers })
      const fns = {
        inc: lib.fromModule(inc, tasksUrl),
        countPrimes: lib.fromModule(countPrimes, tasksUrl),
      }
      return {
        run: (name, arg) => ex.submit(fns[name], arg),
        async map(items) {
          const out = []
          for await (const value of ex.map(fns.inc, items, { chunksize: CHUNK })) out.push(value)
          return out
        },
        close: () => ex.shutdown(),
      }
    }
    case 'piscina': {
      const { Piscina } = await import('piscina')
      const pool = new Piscina({ filename: tasksUrl.href, minThreads: workers, maxThreads: workers, idleTimeout: 60_000 })
      return chunked({ run: (name, arg) => pool.run(arg, { name }), close: () => pool.destroy() })
    }
    case 'tinypool':
    case 'tinypool-process': {
      const { Tinypool } = await import('tinypool')
      const pool = new Tinypool({
        filename: tasksUrl.href,
        minThreads: workers,
        maxThreads: workers,
        idleTimeout: 60_000,
        runtime: library === 'tinypool' ? 'worker_threads' : 'child_process',
      })
      return chunked({ run: (name, arg) => pool.run(arg, { name }), close: () => pool.destroy() })
    }
    case 'workerpool-thread':
    case 'workerpool-process': {
      const { default: workerpool } = await import('workerpool')
      const pool = workerpool.pool(here('./workerpool-worker.mjs').pathname, {
        minWorkers: workers,
        maxWorkers: workers,
        workerType: library === 'workerpool-thread' ? 'thread' : 'process',
      })
      return chunked({ run: (name, arg) => pool.exec(name, [arg]), close: () => pool.terminate() })
    }
    case 'poolifier-thread':
    case 'poolifier-cluster': {
      const { FixedClusterPool, FixedThreadPool } = await import('poolifier')
      const pool =
        library === 'poolifier-thread'
          ? new FixedThreadPool(workers, here('./poolifier-thread-worker.mjs').pathname)
          : new FixedClusterPool(workers, here('./poolifier-cluster-worker.cjs').pathname)
      return chunked({ run: (name, arg) => pool.execute(arg, name), close: () => pool.destroy() })
    }
    default:
      throw new Error(`unknown library ${library}`)
  }
}

/** Workload 3 for libraries without a chunked map: one `incChunk` task per chunk. */
function chunked(pool) {
  return {
    ...pool,
    async map(items) {
      const parts = []
      for (let i = 0; i < items.length; i += CHUNK) parts.push(pool.run('incChunk', items.slice(i, i + CHUNK)))
      return (await Promise.all(parts)).flat()
    },
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

async function main() {
  const [library, workersArg] = process.argv.slice(2)
  const workers = Number(workersArg)
  void incChunk
  const primeInputs = Array.from({ length: PRIME_INPUTS }, (_, i) => PRIME_N + i)
  // Inline baseline for workload 2, in this process, before any worker exists.
  const inline = () => {
    const start = performance.now()
    let sum = 0
    for (const n of primeInputs) sum += countPrimes(n)
    return { ms: performance.now() - start, sum }
  }
  inline() // warm: the pools' workers are warm when measured too
  let t = 0
  const pool = await open(library, workers)
  // Warm-up: workers started, code paths compiled.
  await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.run('inc', i)))
  await Promise.all(Array.from({ length: workers * 2 }, () => pool.run('countPrimes', 1000)))

  const rates = []
  // Slow pools get one round of workload 1 only, to keep the whole run within a few minutes.
  for (let r = 0; r < (rates.length > 0 && rates[0] < TASKS / 3 ? 1 : ROUNDS); r++) {
    t = performance.now()
    const futures = new Array(TASKS)
    for (let i = 0; i < TASKS; i++) futures[i] = pool.run('inc', i)
    const values = await Promise.all(futures)
    const ms = performance.now() - t
    if (values[TASKS - 1] !== TASKS) throw new Error(`${library}: wrong result ${values[TASKS - 1]}`)
    rates.push((TASKS / ms) * 1000)
  }

  // Inline and pooled runs alternate, and each round's ratio pairs runs made moments apart, so a
  // burst of load from elsewhere on the machine hits both sides of a ratio.
  const speedups = []
  let inlineMs = 0
  for (let r = 0; r < 3; r++) {
    const base = inline()
    inlineMs = base.ms
    t = performance.now()
    const counts = await Promise.all(primeInputs.map((n) => pool.run('countPrimes', n)))
    const ms = performance.now() - t
    if (counts.reduce((a, b) => a + b, 0) !== base.sum) throw new Error(`${library}: wrong prime counts`)
    speedups.push(base.ms / ms)
  }

  const items = Array.from({ length: MAP_ITEMS }, (_, i) => i)
  const mapRates = []
  for (let r = 0; r < ROUNDS; r++) {
    t = performance.now()
    const out = await pool.map(items)
    const ms = performance.now() - t
    if (out.length !== MAP_ITEMS || out[MAP_ITEMS - 1] !== MAP_ITEMS) throw new Error(`${library}: wrong map result`)
    mapRates.push((MAP_ITEMS / ms) * 1000)
  }
  await pool.close()
  const result = {
    library,
    workers,
    trivial: { tasksPerSecond: median(rates), samples: rates },
    cpu: { speedup: median(speedups), samples: speedups, inlineMs },
    map: { itemsPerSecond: median(mapRates), samples: mapRates, chunksize: CHUNK },
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

await main()
process.exit(0)
