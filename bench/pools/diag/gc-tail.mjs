/**
 * Diagnosis (d): which of one awaited trivial call at a time's slowest calls overlap a garbage
 * collection of the program or of the worker, and what each side allocates a call. Warms the pool
 * up with 20,000 calls, waits `idleMs` (V8 shrinks an idle process's young generation), then
 * times `calls` calls and matches each with the collections of both threads on one clock.
 *
 *   node bench/pools/diag/gc-tail.mjs [process|thread] [idleMs=0] [calls=10000] [workers=1]
 *
 * Prints p50/p99, the calls that overlap a collection of each side, how many of the slowest 1%
 * overlap one, the p99 of the calls that overlap none, and young-generation bytes per call and
 * collections on each side (bench/FINDINGS-pools.md, round 11).
 */
const [backend = 'process', idleArg = '0', callsArg = '10000', workersArg = '1'] = process.argv.slice(2)
const calls = Number(callsArg)
const lib = backend === 'thread' ? await import('@conc/threading') : await import('@conc/multiprocessing')
const Executor = lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor
const url = new URL('./gc-tail-tasks.mjs', import.meta.url)
const tasks = await import(url.href)
const [inc, gcStart, gcStop] = ['inc', 'gcStart', 'gcStop'].map((name) => lib.fromModule(tasks[name], url, name))

const ex = new Executor({ maxWorkers: Number(workersArg) })
for (let i = 0; i < 20_000; i++) await ex.submit(inc, i)
await new Promise((resolve) => setTimeout(resolve, Number(idleArg)))

const starts = new Float64Array(calls)
const ends = new Float64Array(calls)
// The same module measures both sides: in the worker through the pool, here called directly.
await ex.submit(gcStart)
tasks.gcStart()
for (let i = 0; i < calls; i++) {
  starts[i] = performance.timeOrigin + performance.now()
  if ((await ex.submit(inc, i)) !== i + 1) throw new Error(`inc(${i})`)
  ends[i] = performance.timeOrigin + performance.now()
}
const program = tasks.gcStop()
const worker = await ex.submit(gcStop)
await ex.shutdown()

const overlaps = (list, a, b) => list.some(([s, e]) => s < b && e > a)
const lat = Array.from(starts, (s, i) => (ends[i] - s) * 1000)
const sorted = [...lat].sort((a, b) => a - b)
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]
const slow = pct(sorted, 99)
let hitProgram = 0
let hitWorker = 0
let slowHit = 0
const clean = []
for (let i = 0; i < calls; i++) {
  const p = overlaps(program.gcs, starts[i], ends[i])
  const w = overlaps(worker.gcs, starts[i], ends[i])
  if (p) hitProgram++
  if (w) hitWorker++
  if (lat[i] >= slow && (p || w)) slowHit++
  if (!p && !w) clean.push(lat[i])
}
clean.sort((a, b) => a - b)
const f = (x) => x.toFixed(0)
console.log(
  `${backend}, ${workersArg} worker(s), after ${idleArg} ms idle, ${calls} calls: p50 ${f(pct(sorted, 50))} µs, p99 ${f(slow)} µs; ` +
    `calls overlapping a GC: program ${hitProgram}, worker ${hitWorker}; of the slowest 1%, ${slowHit} overlap one; ` +
    `p99 of the calls overlapping none ${f(pct(clean, 99))} µs; young-generation bytes a call: program ${f(program.bytes / calls)} ` +
    `(${program.collections} collections), worker ${f(worker.bytes / calls)} (${worker.collections})`,
)
