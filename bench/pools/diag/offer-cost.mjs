/**
 * Diagnosis (2)/(e) on threads: what offers cost and save by pool size. n tasks of `ms` each
 * (a spin), submitted at once, on a thread pool of `workers`; per round the wall time and the CPU
 * time of the program's main thread and of every other thread (the workers, V8's helpers), read
 * from /proc/self/task/<tid>/schedstat. With base checkouts given (built as for BENCH_AB,
 * bench/README.md), their @conc runs in the same process, alternated round by round; the
 * paired ratio is this build's wall time over each base's (< 1: this build is faster).
 *
 *   node bench/pools/diag/offer-cost.mjs [workers] [rounds] [tasks] [ms] [base ...]
 *   (default: 2 5 800 1)
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [workers = '2', rounds = '5', n = '800', ms = '1', ...bases] = process.argv.slice(2)
const url = new URL('./long-task-gaps-tasks.mjs', import.meta.url)
const { stamp } = await import(url.href)
const libs = { this: await import('@conc/threading') }
for (const base of bases) libs[base] = await import(pathToFileURL(join(base, 'packages/threading/dist/index.js')).href)
const pools = Object.entries(libs).map(([name, lib]) => ({
  name,
  ex: new lib.ThreadPoolExecutor({ maxWorkers: Number(workers) }),
  fn: lib.fromModule(stamp, url),
  rows: [],
}))

/** CPU time so far in ms: this process's main thread, and its other threads. */
function cpu() {
  const out = { main: 0, other: 0 }
  for (const tid of readdirSync('/proc/self/task')) {
    let ns = 0
    try {
      ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      continue // a thread that ended meanwhile
    }
    if (Number(tid) === process.pid) out.main += ns / 1e6
    else out.other += ns / 1e6
  }
  return out
}

for (let r = 0; r <= Number(rounds); r++) {
  for (const pool of r % 2 === 0 ? pools : [...pools].reverse()) {
    const before = cpu()
    const started = performance.now()
    const results = await Promise.all(Array.from({ length: Number(n) }, () => pool.ex.submit(pool.fn, Number(ms))))
    const wall = performance.now() - started
    const after = cpu()
    if (results.length !== Number(n) || results.some(([s, e]) => !(e - s >= Number(ms) * 1000))) throw new Error('a task did not spin its time')
    if (r > 0) pool.rows.push({ wall, main: after.main - before.main, other: after.other - before.other }) // round 0: warm-up
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
const cell = (rows, key) => `${median(rows.map((row) => row[key])).toFixed(1)} (${Math.min(...rows.map((row) => row[key])).toFixed(0)}–${Math.max(...rows.map((row) => row[key])).toFixed(0)})`
console.log(`${workers} workers, ${n} tasks of ${ms} ms, ${rounds} rounds; median (range), ms`)
for (const { name, rows } of pools) console.log(`${name.padEnd(12)} wall ${cell(rows, 'wall')}  main thread CPU ${cell(rows, 'main')}  other threads CPU ${cell(rows, 'other')}`)
const mine = pools[0].rows
for (const { name, rows } of pools.slice(1)) {
  const ratios = rows.map((row, i) => mine[i].wall / row.wall)
  console.log(`this ÷ ${name}: wall ${median(ratios).toFixed(3)}× (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`)
}
for (const { ex } of pools) await ex.shutdown()
