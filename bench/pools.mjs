/**
 * Benchmark: this project's executors against the Node pools people use today (piscina, tinypool,
 * workerpool, poolifier), on both backends, with the same worker count. Method and workloads:
 * bench/README.md ("Pools").
 *
 *   pnpm bench:pools                                   # from the repository root: builds, then runs this
 *   node bench/pools.mjs                               # packages must be built
 *   node bench/pools.mjs --only latency,async          # a subset of workloads (ids: see --list)
 *   node bench/pools.mjs --only copies --backend process --rounds 3 --libs conc-process,tinypool-process
 *
 * Options: --only <ids>, --backend thread|process, --rounds N (every workload), --libs <ids>
 * (contenders; ours is always kept), --workers N (default 2), --list, --no-write (print only),
 * --write (a subset run replaces its rows in results/pools.json and regenerates the README
 * section and the chart; a full run writes by default), --rewrite (measure nothing: regenerate
 * results/pools.md, the chart and the README section from results/pools.json).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { analyse, burstSensitivity } from './pools/analyse.mjs'
import { chart } from './pools/chart.mjs'
import { CONTENDERS, configure } from './pools/libraries.mjs'
import { runGroup } from './pools/orchestrate.mjs'
import { backendName, fmtNumber, groupTable, summaryTable } from './pools/report.mjs'
import { refsOf, WORKLOADS } from './pools/workloads.mjs'

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    backend: { type: 'string' },
    rounds: { type: 'string' },
    libs: { type: 'string' },
    workers: { type: 'string' },
    list: { type: 'boolean' },
    rewrite: { type: 'boolean' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean' },
  },
})

if (args.list) {
  for (const w of WORKLOADS) console.log(`${w.id.padEnd(10)} ${w.backends.join('+').padEnd(15)} ${w.rounds} rounds  ${w.title}`)
  process.exit(0)
}

const workers = Number(args.workers ?? process.env.BENCH_WORKERS ?? 2)
const only = args.only?.split(',')
const libs = (args.libs ?? process.env.BENCH_LIBS)?.split(',')
const backends = args.backend === undefined ? ['thread', 'process'] : [args.backend]
const full = only === undefined && args.backend === undefined && libs === undefined && args.rounds === undefined
const rewrite = args.rewrite === true
const write = rewrite || (!args['no-write'] && process.env.BENCH_NO_WRITE !== '1' && (full || args.write === true))
for (const id of only ?? []) if (!WORKLOADS.some((w) => w.id === id)) throw new Error(`unknown workload ${id} (see --list)`)

const log = (s) => process.stderr.write(`${s}\n`)
const uptime = () => loadavg().map((x) => x.toFixed(2)).join(' / ')
const versionOf = (name) => JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version
const versions = Object.fromEntries(['piscina', 'tinypool', 'workerpool', 'poolifier'].map((n) => [n, versionOf(n)]))
const git = (...a) => {
  try {
    return execFileSync('git', a, { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim()
  } catch {
    return ''
  }
}
// Uncommitted text (READMEs, docs) changes nothing measured: only other files of the packages count.
const commit = `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'packages', ':(exclude)*.md') === '' ? '' : ' plus uncommitted package changes'}`
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${fmtNumber(totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}`
const started = new Date()
const loadStart = uptime()
log(`${machine}; load average ${loadStart}; ${workers} workers per pool`)

const groups = []
for (const workload of WORKLOADS) {
  if (rewrite || (only !== undefined && !only.includes(workload.id))) continue
  for (const backend of workload.backends) {
    if (!backends.includes(backend)) continue
    const ids = Object.entries(CONTENDERS)
      .filter(([id, c]) => c.kind === backend && c.role !== 'ref' && (c.role === 'ours' || libs === undefined || libs.includes(id)))
      .map(([id]) => id)
      .concat(refsOf(workload, backend).filter((id) => libs === undefined || libs.includes(id)))
    const rounds = Number(args.rounds ?? workload.rounds)
    log(`\n${workload.id} on ${backendName(backend)}: ${ids.join(', ')}; ${rounds} rounds (load ${uptime()})`)
    const t = performance.now()
    const raw = await runGroup({ workload, backend, ids, rounds, workers, log })
    raw.seconds = (performance.now() - t) / 1000
    raw.date = new Date().toISOString()
    raw.load = uptime()
    raw.commit = commit
    raw.runStarted = started.toISOString().slice(0, 16)
    const analysed = analyse(raw, workload)
    groups.push({ raw, analysed })
    log(`\n${groupTable(analysed, raw, workload)}`)
  }
}
const loadEnd = uptime()
const seconds = (Date.now() - started.getTime()) / 1000

/** The old README's targets, from this run's figures. */
function targets(all) {
  const find = (w, b) => all.find((g) => g.raw.workload === w && g.raw.backend === b)
  const metric = (w, b, key) => find(w, b)?.analysed.metrics.find((m) => m.key === key)
  const oursOf = (w, b, key) => metric(w, b, key)?.ours?.median
  const speedup = (b) => metric('cpu', b, 'ms')?.contenders.find((c) => c.role === 'ours')?.speedup?.median
  const vsBare = (b) => {
    const g = find('cpu', b)
    const ours = g?.raw.contenders.find((c) => c.role === 'ours')
    const bare = g?.raw.contenders.find((c) => c.id === 'bare-threads')
    if (ours?.samples.ms === undefined || bare?.samples.ms === undefined) return undefined
    const r = ours.samples.ms.map((v, i) => bare.samples.ms[i] / v).sort((a, b) => a - b)
    return r[r.length >> 1]
  }
  /** Median over the rounds of p99 ÷ p50 of one awaited call at a time: ours, or contender `id`'s. */
  const tail = (b, id) => {
    const e = find('latency', b)?.raw.contenders.find((c) => (id === undefined ? c.role === 'ours' : c.id === id))
    if (e?.samples.p50 === undefined || e.samples.p99 === undefined) return undefined
    const r = e.samples.p99.map((v, i) => v / e.samples.p50[i]).sort((x, y) => x - y)
    return r[r.length >> 1]
  }
  /** Ours: the rate of the one big burst ÷ the rate in bursts of 10,000, median of the paired rounds. */
  const burstRatio = (b) => {
    const g = find('bursts', b)
    return g === undefined ? undefined : burstSensitivity(g.raw).find((e) => e.role === 'ours')?.ratio.median
  }
  const peersBurst = (b) => {
    const g = find('bursts', b)
    const r = g === undefined ? [] : burstSensitivity(g.raw).filter((e) => e.role === 'peer').map((e) => e.ratio.median)
    return r.length === 0 ? '' : ` (the peers': ${fmtNumber(Math.min(...r), 2)}–${fmtNumber(Math.max(...r), 2)})`
  }
  const raw = (b, id) => {
    const value = tail(b, id)
    return value === undefined ? '' : ` (the raw round trip's: ${fmtNumber(value, 2)})`
  }
  const rows = [
    ['(1) thread executor ≥ fastest peer thread pool', metric('bursts', 'thread', 'once')?.best?.ratio?.median, 1],
    ['(1) process executor ≥ 1.5 × fastest peer process pool', metric('bursts', 'process', 'once')?.best?.ratio?.median, 1.5],
    [`(2) thread executor speedup ≥ 0.9 × ${workers} workers`, speedup('thread'), 0.9 * workers],
    [`(2) process executor speedup ≥ 0.9 × ${workers} workers`, speedup('process'), 0.9 * workers],
    ['(2) thread executor ≥ 0.9 × bare worker threads (paired)', vsBare('thread'), 0.9],
    ['(2) process executor ≥ 0.9 × bare worker threads (paired)', vsBare('process'), 0.9],
    ['(3) thread map ≥ 10 × its per-task rate of (1)', oursOf('map', 'thread', 'rate') / oursOf('bursts', 'thread', 'once'), 10],
    ['(3) process map ≥ 10 × its per-task rate of (1)', oursOf('map', 'process', 'rate') / oursOf('bursts', 'process', 'once'), 10],
    // Issue 9 asks for a rate independent of the burst size (FINDINGS-pools.md, (f)).
    [`issue 9 (f): thread rate at once ≥ its rate in bursts of 10,000, paired${peersBurst('thread')}`, burstRatio('thread'), 1],
    [`issue 9 (f): process rate at once ≥ its rate in bursts of 10,000, paired${peersBurst('process')}`, burstRatio('process'), 1],
    // Issue 9 asks for a p99 within 3 × the p50 on a quiet machine; the raw round trip shows what the machine allows.
    [`issue 9 (d): thread p99 ≤ 3 × p50, per round${raw('thread', 'raw-worker')}`, tail('thread'), 3, 'most'],
    [`issue 9 (d): process p99 ≤ 3 × p50, per round${raw('process', 'raw-fork-v8')}`, tail('process'), 3, 'most'],
  ].filter(([, value]) => value !== undefined && !Number.isNaN(value))
  const all9 = all.flatMap((g) => g.analysed.metrics).filter((m) => m.loses !== undefined)
  const lines = rows.map(([what, value, need, most]) => {
    const met = most === 'most' ? value <= need : value >= need
    return `| ${what} | ${fmtNumber(value, 2)} (need ${most === 'most' ? '≤ ' : ''}${fmtNumber(need, 2)}) | ${met ? 'yes' : '**no**'} |`
  })
  const won = all9.filter((m) => !m.loses).length
  lines.push(`| issue 9: @conc ≥ 1.0 × the best peer on every row | ${won} of ${all9.length} rows | ${won === all9.length ? 'yes' : '**no**'} |`)
  return ['| target | measured | met |', '| --- | ---: | :---: |', ...lines].join('\n')
}

const analysedAll = groups.map((g) => g.analysed)
console.log(`\n## Summary (${machine}; load average ${loadStart} at start, ${loadEnd} at the end; ${fmtNumber(seconds / 60, 1)} min)\n`)
console.log(summaryTable(analysedAll))
console.log(`\n${targets(groups)}\n`)

if (write) {
  const dir = new URL('./results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  const file = new URL('pools.json', dir)
  let previous = []
  let previousRun
  if (!full || rewrite) {
    try {
      const json = JSON.parse(readFileSync(file, 'utf8'))
      previous = json.groups ?? []
      previousRun = json.run
    } catch {
      previous = []
    }
  }
  const key = (g) => `${g.raw.workload}/${g.raw.backend}`
  const fresh = new Set(groups.map(key))
  const merged = [...previous.filter((g) => g.raw !== undefined && !fresh.has(key(g))), ...groups]
  const order = (g) => WORKLOADS.findIndex((w) => w.id === g.raw.workload) * 2 + (g.raw.backend === 'thread' ? 0 : 1)
  merged.sort((a, b) => order(a) - order(b))
  const run = rewrite && previousRun !== undefined ? previousRun : { date: started.toISOString(), machine, workers, versions, commit, loadStart, loadEnd, minutes: seconds / 60, argv: process.argv.slice(2), full }
  const configurations = Object.fromEntries(
    WORKLOADS.map((w) => [w.profile, Object.fromEntries(Object.keys(CONTENDERS).map((id) => [id, configure(id, w.profile, workers).note]))]),
  )
  writeFileSync(file, `${JSON.stringify({ run, configurations, groups: merged }, null, 1)}\n`)
  const analysedMerged = merged.map((g) => g.analysed)
  const dates = [...new Set(merged.map((g) => g.raw.date.slice(0, 10)))].join(', ')
  // Rows may come from several runs (a subset run with --write replaces only its rows).
  const runsOf = new Set(merged.map((g) => g.raw.runStarted ?? g.raw.date.slice(0, 16)))
  const loads = merged.map((g) => Number(g.raw.load.split(' / ')[0]))
  const commits = [...new Set(merged.map((g) => g.raw.commit ?? commit))].join(', ')
  const provenance =
    runsOf.size > 1
      ? `the rows come from ${runsOf.size} runs, started ${[...runsOf].sort().map((d) => `${d.replace('T', ' ')} UTC`).join(' and ')} (each table of the details says when it was measured); load average ${fmtNumber(Math.min(...loads), 1)}–${fmtNumber(Math.max(...loads), 1)} at the end of each row`
      : `load average ${run.loadStart} at the start, ${run.loadEnd} at the end`
  writeFileSync(new URL('pools.svg', dir), chart(analysedMerged, { machine, workers, date: dates }))
  const details = merged.map((g) => groupTable(g.analysed, g.raw, WORKLOADS.find((w) => w.id === g.raw.workload))).join('\n')
  writeFileSync(
    new URL('pools.md', dir),
    `# Pools benchmark: every contender, every ratio\n\nGenerated by \`bench/pools.mjs\` (method: [bench/README.md](../README.md#pools)). ${machine}; ${workers} workers per pool; peers: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}; code: ${commits}. Last run ${run.date} (${run.full ? 'full run' : `subset: ${run.argv.join(' ')}`}), load average ${run.loadStart} at start, ${run.loadEnd} at the end; each table says when its rows were measured. Values: median of the rounds (range); *@conc ÷ it*: per round, @conc's speed ÷ the contender's (times and latencies inverted, so > 1 means @conc is faster), then the median (range) of those ratios. *Italic* rows are references (no pool), not peers.\n\n${details}`,
  )
  const readme = new URL('../README.md', import.meta.url)
  const BEGIN = '<!-- pools:begin (generated by bench/pools.mjs) -->'
  const END = '<!-- pools:end -->'
  const text = readFileSync(readme, 'utf8')
  const a = text.indexOf(BEGIN)
  const b = text.indexOf(END)
  if (a >= 0 && b > a) {
    const block =
      `${BEGIN}\n\n` +
      `Measured ${dates} on ${machine}, a shared machine (${provenance}: absolute figures are noisy, the paired ratios much less); ${workers} workers per pool; peers: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}; code: ${commits}. ` +
      'Every contender runs in its own process; the contenders of a row are interleaved round by round (each round runs each once, in an order that rotates), every contender is measured in the same rounds, every result of every round is checked, and everyone gets the same inputs. ' +
      '*@conc ÷ best peer* is paired: per round, @conc\'s speed ÷ the best peer\'s (times and latencies inverted, so > 1 means @conc is faster), then the median and the range over the rounds. ' +
      'Each peer runs in its best configuration for the workload (many tasks in flight per worker for async tasks, V8 serialization for the process pools\' binary payloads): see [bench/README.md](bench/README.md#pools). ' +
      'Every contender and every ratio: [bench/results/pools.md](bench/results/pools.md).\n\n' +
      `${summaryTable(analysedMerged)}\n\n` +
      `${targets(merged)}\n\n![pools benchmark](bench/results/pools.svg)\n\n`
    writeFileSync(readme, text.slice(0, a) + block + text.slice(b))
  }
  log(`wrote bench/results/pools.json, pools.md, pools.svg and the README's pools section`)
}

