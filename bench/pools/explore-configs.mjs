/**
 * Scratch: which options make each peer fastest on the async and trivial workloads (interleaved
 * rounds in one process). Used to choose the configurations documented in bench/README.md.
 *
 *   node bench/pools/explore-configs.mjs async|trivial [rounds]
 */
import { Piscina } from 'piscina'
import { Tinypool } from 'tinypool'
import { FixedThreadPool, FixedClusterPool } from 'poolifier'

const which = process.argv[2] ?? 'async'
const rounds = Number(process.argv[3] ?? 3)
const file = new URL('./worker-piscina.mjs', import.meta.url).href
const tfile = new URL('./worker-tinypool.mjs', import.meta.url).href
const pth = new URL('./worker-poolifier-thread.mjs', import.meta.url).pathname
const pcl = new URL('./worker-poolifier-cluster.cjs', import.meta.url).pathname
const n = 2
const base = { minThreads: n, maxThreads: n, idleTimeout: 60000 }
const variants = which === 'async'
  ? {
      'piscina c=64': () => new Piscina({ filename: file, ...base, concurrentTasksPerWorker: 64 }),
      'piscina c=1000': () => new Piscina({ filename: file, ...base, concurrentTasksPerWorker: 1000 }),
      'piscina c=1000 atomics async': () => new Piscina({ filename: file, ...base, concurrentTasksPerWorker: 1000, atomics: 'async' }),
      'piscina c=1000 atomics disabled': () => new Piscina({ filename: file, ...base, concurrentTasksPerWorker: 1000, atomics: 'disabled' }),
      'tinypool c=1000': () => new Tinypool({ filename: tfile, ...base, concurrentTasksPerWorker: 1000 }),
      'tinypool c=1000 noatomics': () => new Tinypool({ filename: tfile, ...base, concurrentTasksPerWorker: 1000, useAtomics: false }),
      'tinypool-process c=1000': () => new Tinypool({ filename: tfile, ...base, runtime: 'child_process', concurrentTasksPerWorker: 1000 }),
      'poolifier queue c=1000': () => new FixedThreadPool(n, pth, { enableTasksQueue: true, tasksQueueOptions: { concurrency: 1000 } }),
      'poolifier no queue': () => new FixedThreadPool(n, pth),
      'poolifier-cluster queue c=1000': () => new FixedClusterPool(n, pcl, { enableTasksQueue: true, tasksQueueOptions: { concurrency: 1000 } }),
      'poolifier-cluster no queue': () => new FixedClusterPool(n, pcl),
    }
  : {
      'piscina default': () => new Piscina({ filename: file, ...base }),
      'piscina c=4': () => new Piscina({ filename: file, ...base, concurrentTasksPerWorker: 4 }),
      'piscina atomics disabled': () => new Piscina({ filename: file, ...base, atomics: 'disabled' }),
      'tinypool default': () => new Tinypool({ filename: tfile, ...base }),
      'tinypool c=4': () => new Tinypool({ filename: tfile, ...base, concurrentTasksPerWorker: 4 }),
      'tinypool-process default': () => new Tinypool({ filename: tfile, ...base, runtime: 'child_process' }),
      'tinypool-process c=4': () => new Tinypool({ filename: tfile, ...base, runtime: 'child_process', concurrentTasksPerWorker: 4 }),
      'poolifier no queue': () => new FixedThreadPool(n, pth),
      'poolifier queue c=4': () => new FixedThreadPool(n, pth, { enableTasksQueue: true, tasksQueueOptions: { concurrency: 4 } }),
      'poolifier-cluster no queue': () => new FixedClusterPool(n, pcl),
      'poolifier-cluster queue c=4': () => new FixedClusterPool(n, pcl, { enableTasksQueue: true, tasksQueueOptions: { concurrency: 4 } }),
    }
const N = which === 'async' ? 2000 : 20000
const task = which === 'async' ? 'sleepInc' : 'inc'
const pools = {}
for (const [name, make] of Object.entries(variants)) {
  const pool = make()
  const run = pool.run ? (x) => pool.run(x, { name: task }) : (x) => pool.execute(x, task)
  await Promise.all(Array.from({ length: 500 }, (_, i) => run(i)))
  pools[name] = { pool, run, ms: [] }
}
const names = Object.keys(pools)
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < names.length; k++) {
    const p = pools[names[(k + r) % names.length]]
    const t = performance.now()
    const v = await Promise.all(Array.from({ length: N }, (_, i) => p.run(i)))
    p.ms.push(performance.now() - t)
    if (v.some((x, i) => x !== i + 1)) throw new Error('wrong')
  }
}
for (const name of names) {
  const s = [...pools[name].ms].sort((a, b) => a - b)
  console.log(`${name.padEnd(34)} median ${s[s.length >> 1].toFixed(0)} ms  [${pools[name].ms.map((x) => x.toFixed(0)).join(', ')}]`)
  await pools[name].pool.destroy()
}
process.exit(0)
