/**
 * Diagnosis (2)/(e): how long a worker waits between two long tasks (the end of one to the start
 * of the next, in the worker), and the wall time of the run. n tasks of `ms` each, submitted at
 * once; per worker, the median gap and the sum. With a checkout given as `base` (built as for
 * BENCH_AB, bench/README.md), its @conc runs in alternation with this one, round by round.
 *
 *   node bench/pools/diag/long-task-gaps.mjs [thread|process] [workers] [rounds] [tasks] [ms] [base]
 *   (default: thread 1 3 400 1)
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [backend = 'thread', workers = '1', rounds = '3', n = '400', ms = '1', base] = process.argv.slice(2)
const pkg = backend === 'thread' ? 'threading' : 'multiprocessing'
const libs = { this: await import(`@conc/${pkg}`) }
if (base !== undefined) libs.base = await import(pathToFileURL(join(base, 'packages', pkg, 'dist/index.js')).href)
const url = new URL('./long-task-gaps-tasks.mjs', import.meta.url)
const { stamp } = await import(url.href)
const pools = Object.fromEntries(
  Object.entries(libs).map(([name, lib]) => {
    const ex = new (lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor)({ maxWorkers: Number(workers) })
    return [name, { ex, fn: lib.fromModule(stamp, url) }]
  }),
)
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
for (let r = 0; r <= Number(rounds); r++) {
  for (const [name, { ex, fn }] of Object.entries(pools)) {
    const started = performance.now()
    const results = await Promise.all(Array.from({ length: Number(n) }, () => ex.submit(fn, Number(ms))))
    const wall = performance.now() - started
    if (results.some(([s, e]) => !(e - s >= Number(ms) * 1000))) throw new Error('a task did not spin its time')
    if (r === 0) continue // warm-up: the pool learns what the task costs
    const byWorker = new Map()
    for (const result of results.sort((a, b) => a[0] - b[0])) byWorker.set(result[2], [...(byWorker.get(result[2]) ?? []), result])
    const cells = [...byWorker.values()].map((list) => {
      const gaps = list.slice(1).map((task, i) => task[0] - (list[i] ?? task)[1])
      return `${list.length} tasks, gap p50 ${median(gaps)} µs, max ${Math.max(...gaps)} µs, sum ${(gaps.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} ms`
    })
    console.log(`round ${r} ${name.padEnd(4)} wall ${wall.toFixed(1)} ms | ${cells.join(' | ')}`)
  }
}
for (const { ex } of Object.values(pools)) await ex.shutdown()
