/**
 * Benchmark: this project's executors against the Node pools people use today, side by side in
 * one run, with the same worker count. Each library runs in its own process (pools/driver.mjs),
 * one after the other, so none shares a heap, a JIT or the CPUs with another.
 *
 *   pnpm bench:pools                 # from the repository root: builds, then runs this
 *   node bench/pools.mjs             # packages must be built
 *
 * Workloads: (1) 100 000 trivial tasks (`x => x + 1`) submitted at once, tasks per second;
 * (2) a naive prime count over 64 inputs, speedup over running them inline; (3) `map` over
 * 1 000 000 items with chunksize 10 000, items per second (peers: one task per chunk).
 *
 * Env: BENCH_WORKERS (default: the number of CPUs), BENCH_ROUNDS (3), BENCH_LIBS (comma list),
 * BENCH_NO_WRITE=1 (print only; do not write results/ and the README table).
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { chart } from './pools/chart.mjs'

const LIBS = [
  ['conc-thread', 'thread', '@conc/threading ThreadPoolExecutor'],
  ['conc-process', 'process', '@conc/multiprocessing ProcessPoolExecutor'],
  ['piscina', 'thread', 'piscina'],
  ['tinypool', 'thread', 'tinypool (worker_threads)'],
  ['tinypool-process', 'process', 'tinypool (child_process)'],
  ['workerpool-thread', 'thread', 'workerpool (thread)'],
  ['workerpool-process', 'process', 'workerpool (process)'],
  ['poolifier-thread', 'thread', 'poolifier FixedThreadPool'],
  ['poolifier-cluster', 'process', 'poolifier FixedClusterPool'],
]
const workers = Number(process.env.BENCH_WORKERS ?? availableParallelism())
const only = process.env.BENCH_LIBS?.split(',')
const driver = fileURLToPath(new URL('./pools/driver.mjs', import.meta.url))
const ceilingScript = fileURLToPath(new URL('./pools/ceiling.mjs', import.meta.url))
const versions = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).devDependencies

function measure(library, script = driver) {
  return new Promise((resolve) => {
    execFile(process.execPath, script === driver ? [script, library, String(workers)] : [script, String(workers)], { timeout: 120_000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').at(-1)
      try {
        resolve(JSON.parse(line))
      } catch {
        resolve({ library, error: (error?.message ?? stderr).slice(0, 500) })
      }
    })
  })
}

const fmt = (x, digits = 0) => (x === undefined ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))
const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b)

const results = []
for (const [id, kind, label] of LIBS) {
  if (only !== undefined && !only.includes(id)) continue
  process.stderr.write(`measuring ${label}...\n`)
  // The speedup bare threads get right now, just before this pool runs: the machine is shared.
  const ceiling = await measure(id, ceilingScript)
  results.push({ ...(await measure(id)), kind, label, ceiling: ceiling.speedup })
}
const get = (id) => results.find((r) => r.library === id && r.error === undefined)
const ours = { thread: get('conc-thread'), process: get('conc-process') }
const peers = results.filter((r) => !r.library.startsWith('conc-') && r.error === undefined)
const best = (kind, pick) => Math.max(...peers.filter((r) => r.kind === kind).map(pick))

const rows = results.map((r) => {
  const mine = ours[r.kind]
  const isOurs = r.library.startsWith('conc-')
  return {
    label: r.label,
    kind: r.kind,
    trivial: r.trivial?.tasksPerSecond,
    cpu: r.cpu?.speedup,
    ceiling: r.ceiling,
    map: r.map?.itemsPerSecond,
    vsTrivial: isOurs ? undefined : ratio(mine?.trivial.tasksPerSecond, r.trivial?.tasksPerSecond),
    vsCpu: isOurs ? undefined : ratio(mine?.cpu.speedup, r.cpu?.speedup),
    vsMap: isOurs ? undefined : ratio(mine?.map.itemsPerSecond, r.map?.itemsPerSecond),
    error: r.error,
  }
})

const cores = availableParallelism()
const targets = [
  {
    what: '(1) thread executor ≥ fastest peer thread pool',
    value: ratio(ours.thread?.trivial.tasksPerSecond, best('thread', (r) => r.trivial.tasksPerSecond)),
    need: 1,
  },
  {
    what: '(1) process executor ≥ 1.5 × fastest peer process pool',
    value: ratio(ours.process?.trivial.tasksPerSecond, best('process', (r) => r.trivial.tasksPerSecond)),
    need: 1.5,
  },
  { what: `(2) thread executor speedup ≥ 0.9 × ${cores} cores`, value: ours.thread?.cpu.speedup, need: 0.9 * cores },
  { what: `(2) process executor speedup ≥ 0.9 × ${cores} cores`, value: ours.process?.cpu.speedup, need: 0.9 * cores },
  { what: '(2) thread executor ≥ 0.9 × what bare threads got just before', value: ratio(ours.thread?.cpu.speedup, ours.thread?.ceiling), need: 0.9 },
  { what: '(2) process executor ≥ 0.9 × what bare threads got just before', value: ratio(ours.process?.cpu.speedup, ours.process?.ceiling), need: 0.9 },
  { what: '(3) thread map ≥ 10 × its per-task rate of (1)', value: ratio(ours.thread?.map.itemsPerSecond, ours.thread?.trivial.tasksPerSecond), need: 10 },
  { what: '(3) process map ≥ 10 × its per-task rate of (1)', value: ratio(ours.process?.map.itemsPerSecond, ours.process?.trivial.tasksPerSecond), need: 10 },
].map((t) => ({ ...t, met: t.value !== undefined && t.value >= t.need }))

const x = (v) => (v === undefined ? '' : `${fmt(v, 2)}×`)
const table = [
  `| pool (${workers} workers) | units | (1) trivial tasks/s | ours ÷ it | (2) CPU speedup (bare threads then) | ours ÷ it | (3) map items/s | ours ÷ it |`,
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) =>
    r.error !== undefined
      ? `| ${r.label} | ${r.kind} | failed: ${r.error.split('\n')[0]} | | | | | |`
      : `| ${r.label} | ${r.kind} | ${fmt(r.trivial)} | ${x(r.vsTrivial)} | ${fmt(r.cpu, 2)}× (${fmt(r.ceiling, 2)}×) | ${x(r.vsCpu)} | ${fmt(r.map)} | ${x(r.vsMap)} |`,
  ),
].join('\n')
const targetTable = [
  '| target | measured | met |',
  '| --- | ---: | :---: |',
  ...targets.map((t) => `| ${t.what} | ${fmt(t.value, 2)} (need ${fmt(t.need, 2)}) | ${t.met ? 'yes' : '**no**'} |`),
].join('\n')

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores, Node ${process.version}`
console.log(`\n${machine}\n\n${table}\n\n${targetTable}\n`)

if (process.env.BENCH_NO_WRITE !== '1') {
  const dir = new URL('./results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  const date = new Date().toISOString()
  writeFileSync(new URL('pools.json', dir), `${JSON.stringify({ date, machine, workers, versions, results, targets }, null, 2)}\n`)
  writeFileSync(new URL('pools.svg', dir), chart(rows, { machine, workers }))
  const readme = new URL('../README.md', import.meta.url)
  const BEGIN = '<!-- pools:begin (generated by bench/pools.mjs) -->'
  const END = '<!-- pools:end -->'
  const text = readFileSync(readme, 'utf8')
  const a = text.indexOf(BEGIN)
  const b = text.indexOf(END)
  if (a >= 0 && b > a) {
    const block = `${BEGIN}\n\nMeasured ${date.slice(0, 10)} on ${machine}; peers: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}. ` +
      'Each pool runs in its own process; in brackets, the speedup of bare worker threads measured just before that pool (what the shared machine allowed then). (1) and (3) are medians of 3 rounds (1 round of (1) for pools slower than 3 s per round), (2) the median of 3 paired rounds (inline run, then pooled run).\n\n' +
      `${table}\n\n${targetTable}\n\n![pools benchmark](bench/results/pools.svg)\n\n`
    writeFileSync(readme, text.slice(0, a) + block + text.slice(b))
  }
}
