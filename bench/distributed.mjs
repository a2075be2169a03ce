/**
 * `pnpm bench:distributed`: @conc/distributed's executor against a hand-written BullMQ program
 * (Queue.addBulk + Worker + QueueEvents) doing the same work with the same concurrency, on one
 * redis-server of the benchmark's own. Workloads (issue 11):
 *
 *   (1) 20,000 no-op tasks submitted at once: tasks/s;
 *   (2) sequential round trips: p50 / p99 ms;
 *   (3) map over 1,000,000 items with a chunksize: items/s;
 *   (4) CPU-bound tasks over 1 and 3 worker hosts: tasks/s.
 *
 * The two peers run one after the other in each round, alternating which goes first; the paired
 * ratio is the median of the per-round ratios (@conc ÷ raw). Every result is checked. Writes
 * results/distributed.json, results/distributed.svg, and the table between the markers of
 * bench/README.md and packages/distributed/README.md.
 *
 * Options: --quick (fewer rounds, smaller workloads: a smoke run, not recorded in the READMEs);
 * --rewrite (measure nothing: the table, the chart and the READMEs' sections again from
 * results/distributed.json).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { execFileSync } from 'node:child_process'
import { ProcessPoolExecutor, fromModule } from '@conc/distributed'
import { APP, startConcHost, startRawHost, startRedis } from './distributed/cluster.mjs'
import { RawClient } from './distributed/raw-client.mjs'
import * as tasks from './distributed/tasks.mjs'

const quick = process.argv.includes('--quick')
const TASKS_URL = new URL('./distributed/tasks.mjs', import.meta.url)
const noop = fromModule(tasks.noop, TASKS_URL, 'noop')
const cpu = fromModule(tasks.cpu, TASKS_URL, 'cpu')

const CONCURRENCY = 8 // per host, both peers, workloads 1-3
const BURST = quick ? 2000 : 20_000
const SEQUENTIAL = quick ? 100 : 400
const MAP_ITEMS = quick ? 100_000 : 1_000_000
const CHUNKSIZE = 10_000
const CPU_TASKS = quick ? 12 : 48
const CPU_N = 10_000_000 // about 30 ms per task here
const ROUNDS = { burst: quick ? 2 : 3, sequential: quick ? 2 : 5, map: quick ? 2 : 3, cpu: quick ? 2 : 3 }

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}
function check(label, got, want) {
  if (got.length !== want.length) throw new Error(`${label}: ${got.length} results, expected ${want.length}`)
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) throw new Error(`${label}: result ${i} is ${got[i]}, expected ${want[i]}`)
}
const log = (...args) => console.error(...args)

// ----- the peers: one measurement each, returning the metric

const conc = {
  async burst(ex, n = BURST) {
    const t0 = performance.now()
    const futures = Array.from({ length: n }, (_, i) => ex.submit(noop, i))
    const got = await Promise.all(futures)
    const s = (performance.now() - t0) / 1000
    check('conc burst', got, Array.from({ length: n }, (_, i) => i))
    return n / s
  },
  async sequential(ex) {
    const times = []
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t0 = performance.now()
      const y = await ex.submit(noop, i)
      times.push(performance.now() - t0)
      if (y !== i) throw new Error(`conc sequential: ${y} for ${i}`)
    }
    return times
  },
  async map(ex) {
    const t0 = performance.now()
    let i = 0
    for await (const y of ex.map(noop, range(MAP_ITEMS), { chunksize: CHUNKSIZE })) {
      if (y !== i) throw new Error(`conc map: item ${i} is ${y}`)
      i++
    }
    if (i !== MAP_ITEMS) throw new Error(`conc map: ${i} items, expected ${MAP_ITEMS}`)
    return MAP_ITEMS / ((performance.now() - t0) / 1000)
  },
  async cpu(ex, expected) {
    const t0 = performance.now()
    const got = await Promise.all(Array.from({ length: CPU_TASKS }, () => ex.submit(cpu, CPU_N)))
    const s = (performance.now() - t0) / 1000
    check('conc cpu', got, got.map(() => expected))
    return CPU_TASKS / s
  },
}

const raw = {
  async burst(client, n = BURST) {
    const t0 = performance.now()
    const got = await client.run(Array.from({ length: n }, (_, i) => ({ name: 'noop', data: { x: i } })))
    const s = (performance.now() - t0) / 1000
    check('raw burst', got, Array.from({ length: n }, (_, i) => i))
    return n / s
  },
  async sequential(client) {
    const times = []
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t0 = performance.now()
      const y = await client.one('noop', { x: i })
      times.push(performance.now() - t0)
      if (y !== i) throw new Error(`raw sequential: ${y} for ${i}`)
    }
    return times
  },
  async map(client) {
    // The same work as map(noop, range, { chunksize }): one job per chunk, results in order.
    const t0 = performance.now()
    const jobs = []
    for (let start = 0; start < MAP_ITEMS; start += CHUNKSIZE) {
      jobs.push({ name: 'chunk', data: { xs: Array.from({ length: Math.min(CHUNKSIZE, MAP_ITEMS - start) }, (_, k) => start + k) } })
    }
    const chunks = await client.run(jobs)
    let i = 0
    for (const chunk of chunks) for (const y of chunk) if (y !== i++) throw new Error(`raw map: item ${i - 1} is ${y}`)
    if (i !== MAP_ITEMS) throw new Error(`raw map: ${i} items, expected ${MAP_ITEMS}`)
    return MAP_ITEMS / ((performance.now() - t0) / 1000)
  },
  async cpu(client, expected) {
    const t0 = performance.now()
    const got = await client.run(Array.from({ length: CPU_TASKS }, () => ({ name: 'cpu', data: { x: CPU_N } })))
    const s = (performance.now() - t0) / 1000
    check('raw cpu', got, got.map(() => expected))
    return CPU_TASKS / s
  },
}

function* range(n) {
  for (let i = 0; i < n; i++) yield i
}

/**
 * Runs the peers (`runs`: name → function, called with `true` for a warm-up): one warm-up round
 * each, then `rounds` rounds, the order rotated by one each round.
 */
async function peers(label, rounds, runs) {
  const names = Object.keys(runs)
  log(`${label}: warm-up`)
  for (const name of names) await runs[name](true)
  const out = Object.fromEntries(names.map((name) => [name, []]))
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length]
      out[name].push(await runs[name](false))
    }
    log(`${label}: round ${r + 1}/${rounds}: ${names.map((name) => `${name} ${fmt(out[name].at(-1))}`).join(', ')}`)
  }
  return out
}

/** {@link peers} of @conc and the raw program: the order alternates round by round. */
function pair(label, rounds, runConc, runRaw) {
  return peers(label, rounds, { conc: runConc, raw: runRaw })
}

const fmt = (x) => (Array.isArray(x) ? `p50 ${median(x).toFixed(2)} ms` : x.toFixed(0))

async function main() {
  const started = new Date()
  const loadStart = loadavg().map((x) => x.toFixed(2)).join(' / ')
  const redis = await startRedis()
  const hosts = []
  const clients = []
  const results = { rows: [] }
  const executors = []
  try {
    const concQueue = `bench-conc-${process.pid}`
    const rawQueue = `bench-raw-${process.pid}`
    hosts.push(await startConcHost(redis, concQueue, CONCURRENCY), await startRawHost(redis, rawQueue, CONCURRENCY, 'inline'))
    const ex = new ProcessPoolExecutor({ connection: redis.url, queue: concQueue, app: APP })
    executors.push(ex)
    const client = new RawClient(redis, rawQueue)
    clients.push(client)
    await client.ready()

    // (1) burst
    // Warm-up rounds (not counted) are a tenth of the size.
    const burst = await pair('(1) burst', ROUNDS.burst, (warm) => conc.burst(ex, warm ? BURST / 10 : BURST), (warm) => raw.burst(client, warm ? BURST / 10 : BURST))
    results.rows.push(row('burst', `(1) ${BURST.toLocaleString('en-US')} no-op tasks submitted at once`, 'tasks/s', 'higher', burst.conc, burst.raw, 0.9))
    // (2) sequential
    // Two more peers here, reference rows without a target (the target is against the inline
    // processor): raw BullMQ with its processor sandboxed in worker threads, BullMQ's own way to keep
    // user code off the Worker's event loop (which conc-worker always does), and raw BullMQ handing
    // each job to a worker thread of its own with a bare postMessage (`hop`), the least any host
    // that keeps the task off that event loop pays. The `hop` peer against the inline one is the
    // floor of such a design: if it misses 1.2x, no conc-worker can meet the target on this machine.
    const extra = {}
    for (const [name, mode] of [
      ['sandboxed', 'threads'],
      ['hop', 'hop'],
    ]) {
      const q = `bench-${name}-${process.pid}`
      const host = await startRawHost(redis, q, CONCURRENCY, mode)
      hosts.push(host)
      const c = new RawClient(redis, q)
      clients.push(c)
      await c.ready()
      extra[name] = { host, client: c }
    }
    const seq = await peers('(2) sequential', ROUNDS.sequential, {
      conc: () => conc.sequential(ex),
      raw: () => raw.sequential(client),
      sandboxed: () => raw.sequential(extra.sandboxed.client),
      hop: () => raw.sequential(extra.hop.client),
    })
    results.rows.push(row('p50', `(2) sequential round trip (${SEQUENTIAL} tasks a round), p50`, 'ms', 'lower', seq.conc.map(median), seq.raw.map(median), 1.2))
    results.rows.push(row('p99', `(2) sequential round trip, p99`, 'ms', 'lower', seq.conc.map((t) => pct(t, 99)), seq.raw.map((t) => pct(t, 99))))
    const sandboxRow = row('p50-sandboxed', '(2) p50, against raw BullMQ with its processor sandboxed in worker threads (reference)', 'ms', 'lower', seq.conc.map(median), seq.sandboxed.map(median))
    sandboxRow.reference = 'sandboxed raw'
    results.rows.push(sandboxRow)
    const hopRow = row('p50-hop', '(2) p50, against raw BullMQ handing each job to a worker thread with a bare `postMessage` (reference)', 'ms', 'lower', seq.conc.map(median), seq.hop.map(median))
    hopRow.reference = 'the bare hand-off'
    results.rows.push(hopRow)
    const floorRow = row('p50-floor', '(2) p50 of that bare hand-off itself (in the @conc column), against raw inline: the least a host that keeps tasks off the Worker\'s event loop pays', 'ms', 'lower', seq.hop.map(median), seq.raw.map(median), 1.2)
    floorRow.floor = true
    results.rows.push(floorRow)
    for (const { host, client: c } of Object.values(extra)) {
      await c.close()
      clients.splice(clients.indexOf(c), 1)
      await host.stop()
      hosts.splice(hosts.indexOf(host), 1)
    }
    // (3) map
    const map = await pair('(3) map', ROUNDS.map, () => conc.map(ex), () => raw.map(client))
    const mapRow = row('map', `(3) map over ${MAP_ITEMS.toLocaleString('en-US')} items, chunksize ${CHUNKSIZE.toLocaleString('en-US')}`, 'items/s', 'higher', map.conc, map.raw)
    mapRow.vsBurst = median(map.conc) / median(burst.conc)
    mapRow.target = `≥ 10× the per-task rate of (1): ${mapRow.vsBurst.toFixed(1)}×`
    mapRow.met = mapRow.vsBurst >= 10
    results.rows.push(mapRow)

    // (4) CPU-bound over 1 and 3 hosts (1 task at a time per host; CPU work in threads on both)
    const expected = tasks.cpu(CPU_N)
    for (const n of [1, 3]) {
      const cq = `${concQueue}-cpu${n}`
      const rq = `${rawQueue}-cpu${n}`
      const cpuHosts = []
      for (let i = 0; i < n; i++) cpuHosts.push(await startConcHost(redis, cq, 1), await startRawHost(redis, rq, 1, 'threads'))
      hosts.push(...cpuHosts)
      const cex = new ProcessPoolExecutor({ connection: redis.url, queue: cq, app: APP })
      executors.push(cex)
      const cclient = new RawClient(redis, rq)
      clients.push(cclient)
      await cclient.ready()
      const r = await pair(`(4) cpu, ${n} host(s)`, ROUNDS.cpu, () => conc.cpu(cex, expected), () => raw.cpu(cclient, expected))
      results.rows.push(row(`cpu${n}`, `(4) ${CPU_TASKS} CPU-bound tasks over ${n} worker host${n > 1 ? 's' : ''}`, 'tasks/s', 'higher', r.conc, r.raw))
      for (const h of cpuHosts) await h.stop()
    }
  } finally {
    for (const ex of executors) await ex.shutdown({ wait: false, cancelFutures: true })
    for (const c of clients) await c.close()
    for (const h of hosts) await h.stop()
    await redis.stop()
  }
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages', ':(exclude)*.md'], { encoding: 'utf8', cwd: new URL('..', import.meta.url) }).trim() !== ''
  Object.assign(results, {
    date: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    machine: `${cpus()[0]?.model.trim()}, nproc = ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.version}; redis-server ${redis.version}; bullmq ${bullmqVersion()}`,
    load: `${loadStart} at start, ${loadavg().map((x) => x.toFixed(2)).join(' / ')} at the end`,
    code: `commit ${commit}${dirty ? ' plus uncommitted package changes' : ''}`,
    settings: { concurrency: CONCURRENCY, burst: BURST, sequential: SEQUENTIAL, mapItems: MAP_ITEMS, chunksize: CHUNKSIZE, cpuTasks: CPU_TASKS, cpuN: CPU_N, rounds: ROUNDS },
    quick,
  })
  if (!quick) writeFileSync(new URL('./results/distributed.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`)
  publish(results)
}

/** Prints the table and, unless --quick, writes the chart and the READMEs' sections. */
function publish(results) {
  const table = render(results)
  console.log(table)
  if (quick) return
  writeFileSync(new URL('./results/distributed.svg', import.meta.url), chart(results))
  for (const [file, image] of [
    ['./README.md', 'results/distributed.svg'],
    ['../packages/distributed/README.md', 'https://github.com/conc-js/conc/blob/main/bench/results/distributed.svg'],
  ]) splice(new URL(file, import.meta.url), `${table}\n\n![distributed benchmark](${image})`)
}

function bullmqVersion() {
  try {
    return JSON.parse(readFileSync(new URL('./node_modules/bullmq/package.json', import.meta.url), 'utf8')).version
  } catch {
    return '?'
  }
}

/** One row: medians, the paired ratio (@conc ÷ raw per round) with its range, the target. */
function row(id, label, unit, better, concValues, rawValues, target) {
  const ratios = concValues.map((c, i) => c / rawValues[i])
  const ratio = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) }
  const out = { id, label, unit, better, conc: concValues, raw: rawValues, concMedian: median(concValues), rawMedian: median(rawValues), ratio }
  if (target !== undefined) {
    out.target = better === 'higher' ? `≥ ${target}× raw` : `≤ ${target}× raw`
    out.met = better === 'higher' ? ratio.median >= target : ratio.median <= target
  }
  // Wins when @conc does better than raw: a higher rate, or a lower time.
  out.wins = better === 'higher' ? ratio.median >= 1 : ratio.median <= 1
  return out
}

const num = (x, unit) => (unit === 'ms' ? x.toFixed(2) : Math.round(x).toLocaleString('en-US'))

function render(r) {
  const lines = [
    `Machine: ${r.machine}. Run ${r.date.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(r.seconds)} s; load average ${r.load}. Code: ${r.code}.`,
    `Same concurrency on both sides: one worker host with ${r.settings.concurrency} tasks at once for (1)–(3) (@conc: \`conc-worker --backend threads --concurrency ${r.settings.concurrency}\`; raw: a BullMQ Worker with \`concurrency: ${r.settings.concurrency}\`, processor inline); (4): hosts of 1 task at a time each, the CPU work in a worker thread on both sides (raw: BullMQ's sandboxed processor with \`useWorkerThreads\`). The reference rows of (2) time two more peers in the same rounds: the raw program with its processor sandboxed in worker threads (\`useWorkerThreads\`, concurrency ${r.settings.concurrency}), BullMQ's own way to keep user code off the Worker's event loop, which conc-worker always does; and the raw program handing each job to one of ${r.settings.concurrency} worker threads of its own with a bare \`postMessage\` and back (\`distributed/raw-host.mjs\`, mode \`hop\`: no error handling, no cancellation), the least a host that keeps tasks off that event loop can pay; its row against the inline program is that floor. Both use conc-worker's lock settings (5 s lock, 2 s stalled check). The raw program adds one job per task, as BullMQ's docs show; @conc packs tasks of a function its hosts measured fast (< 1 ms a call) several to a job (up to 64), so in (1) it adds about 64 times fewer jobs (the warm-up round measures the no-op). Rounds interleaved, first peer alternating; *paired* = median of the per-round ratios (range in brackets). Every result was checked.`,
    '',
    '| workload | unit | @conc, median | raw BullMQ, median | @conc ÷ raw, paired (range) | target | verdict |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
  ]
  for (const x of r.rows) {
    const unit = `${x.unit}${x.better === 'lower' ? ' (lower is better)' : ''}`
    const than = x.reference ?? 'raw'
    const verdict = x.floor
      ? x.met
        ? 'the floor is within the target'
        : '**the floor itself misses the target**'
      : x.met === undefined
        ? x.wins
          ? `faster than ${than}`
          : `**slower than ${than}**`
        : x.met
          ? `target met${x.wins ? '' : ' (slower than raw)'}`
          : '**target missed**'
    const ratio = `${x.ratio.median.toFixed(2)}× (${x.ratio.min.toFixed(2)}–${x.ratio.max.toFixed(2)})`
    lines.push(`| ${x.label} | ${unit} | ${num(x.concMedian, x.unit)} | ${num(x.rawMedian, x.unit)} | ${ratio} | ${x.target ?? '—'} | ${verdict} |`)
  }
  return lines.join('\n')
}

function splice(url, body) {
  const text = readFileSync(url, 'utf8')
  const begin = '<!-- distributed-bench:begin (generated by bench/distributed.mjs) -->'
  const end = '<!-- distributed-bench:end -->'
  const a = text.indexOf(begin)
  const b = text.indexOf(end)
  if (a < 0 || b < 0) throw new Error(`${url.pathname} has no ${begin} ... ${end} markers`)
  writeFileSync(url, `${text.slice(0, a + begin.length)}\n${body}\n${text.slice(b)}`)
}

/** Bars of the paired ratios, oriented so that right of 1× is @conc better; losing rows red. */
/** Shorter labels for the chart, where the table's do not fit. */
const CHART_LABELS = {
  'p50-sandboxed': '(2) p50 against raw sandboxed in threads (reference)',
  'p50-hop': '(2) p50 against raw with a bare hand-off (reference)',
  'p50-floor': '(2) the bare hand-off against raw inline: the floor (grey)',
}

function chart(r) {
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const labelW = 430
  const plotW = 360
  const barH = 18
  const gap = 8
  const top = 60
  const lo = 1 / 8
  const hi = 8
  const x = (v) => labelW + ((Math.log2(Math.min(hi, Math.max(lo, v))) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * plotW
  const height = top + r.rows.length * (barH + gap) + 40
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 200}" height="${height}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="white"/>',
    '<text x="10" y="20" font-size="14" font-weight="bold">@conc/distributed vs a hand-written BullMQ program (log scale; right of 1×: @conc better)</text>',
    `<text x="10" y="38" fill="#444">${esc(r.machine)}; ${esc(r.date.slice(0, 10))}. Bar: paired ratio (times: raw ÷ @conc, rates: @conc ÷ raw); whisker: range. Red: @conc worse.</text>`,
  ]
  for (const t of [1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8]) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 8}" x2="${x(t).toFixed(1)}" y2="${height - 30}" stroke="${t === 1 ? '#000' : '#ddd'}"/>`)
    out.push(`<text x="${x(t).toFixed(1)}" y="${height - 16}" text-anchor="middle" fill="#444">${t < 1 ? `1/${1 / t}` : t}×</text>`)
  }
  r.rows.forEach((row, i) => {
    const y = top + i * (barH + gap)
    const flip = (v) => (row.better === 'lower' ? 1 / v : v)
    const m = flip(row.ratio.median)
    const [a, b] = [flip(row.ratio.min), flip(row.ratio.max)].sort((p, q) => p - q)
    // The floor row compares two raw programs, not @conc: grey.
    const color = row.floor ? '#718096' : m < 1 ? '#c53030' : '#2b6cb0'
    out.push(`<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(CHART_LABELS[row.id] ?? row.label)}</text>`)
    out.push(`<rect x="${Math.min(x(1), x(m)).toFixed(1)}" y="${y}" width="${Math.abs(x(m) - x(1)).toFixed(1)}" height="${barH}" fill="${color}"/>`)
    out.push(`<line x1="${x(a).toFixed(1)}" y1="${y + barH / 2}" x2="${x(b).toFixed(1)}" y2="${y + barH / 2}" stroke="#222"/>`)
    out.push(`<text x="${(Math.max(x(1), x(m), x(b)) + 4).toFixed(1)}" y="${y + 13}" fill="${color}">${m.toFixed(2)}×</text>`)
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}

// --rewrite: measure nothing, publish the recorded results again.
if (process.argv.includes('--rewrite')) publish(JSON.parse(readFileSync(new URL('./results/distributed.json', import.meta.url), 'utf8')))
else await main()
process.exit(0)
