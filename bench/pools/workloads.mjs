/**
 * The workloads of the pools benchmark. A workload runs in a driver process (driver.mjs) against
 * one contender's pool; `run` returns one value per metric and throws if any result is wrong
 * (every result of every round is checked, not only the last one).
 *
 * Every contender gets the same inputs, built the same way, and calls the same task functions
 * (tasks.cjs) with one argument.
 */
import { countPrimes } from './tasks.mjs'

const KiB = 1024
const MiB = 1024 * KiB

function check(ok, message) {
  if (!ok) throw new Error(`wrong result: ${message}`)
}

/** Runs `count` calls of `fn(i)`, all submitted at once; checks each value with `verify`. */
async function atOnce(count, call, verify) {
  const futures = new Array(count)
  const started = performance.now()
  for (let i = 0; i < count; i++) futures[i] = call(i)
  const values = await Promise.all(futures)
  const ms = performance.now() - started
  for (let i = 0; i < count; i++) verify(values[i], i)
  return ms
}

/**
 * Runs `total` calls with at most `window` outstanding (a new one starts as one finishes);
 * each result is checked as it arrives, then dropped. Returns the milliseconds.
 */
function windowed(total, window, call, verify) {
  return new Promise((resolve, reject) => {
    let next = 0
    let done = 0
    const started = performance.now()
    const launch = () => {
      const i = next++
      let pending
      try {
        pending = call(i)
      } catch (error) {
        reject(error)
        return
      }
      Promise.resolve(pending).then((value) => {
        try {
          verify(value, i)
        } catch (error) {
          reject(error)
          return
        }
        done++
        if (next < total) launch()
        else if (done === total) resolve(performance.now() - started)
      }, reject)
    }
    for (let k = 0; k < Math.min(window, total); k++) launch()
  })
}

/** The cases of a round, in an order that rotates with the round (no case always comes first). */
const rotate = (cases, round) => cases.map((_, k) => cases[(k + round) % cases.length])

/** A payload of `size` bytes whose first and last words name task `id`. */
function payload(size, id) {
  const bytes = new Uint8Array(size)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, id)
  view.setUint32(size - 4, id ^ 0xa5a5a5a5)
  bytes[size >> 1] = id & 0xff
  return bytes
}

function checkPayload(value, size, id) {
  check(value instanceof Uint8Array, `expected a Uint8Array, got ${Object.prototype.toString.call(value)}`)
  check(value.byteLength === size, `expected ${size} bytes, got ${value.byteLength}`)
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  check(view.getUint32(0) === id && view.getUint32(size - 4) === (id ^ 0xa5a5a5a5) >>> 0 && value[size >> 1] === (id & 0xff), `payload of task ${id} came back altered or for another task`)
}

const rate = (count, ms) => (count / ms) * 1000

function percentile(sorted, p) {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(sorted.length, rank) - 1]
}

const BURST_TOTAL = Number(process.env.BENCH_TASKS ?? 50_000)
const BURST_SIZE = 10_000
const BURST_COUNT = 5
const PRIME_INPUTS = Array.from({ length: 64 }, (_, i) => 120_000 + i)
const SMALL_PRIME_INPUTS = Array.from({ length: 400 }, (_, i) => 30_000 + i)
const MAP_ITEMS = 1_000_000
const ASYNC_TASKS = 2_000
const LATENCY_SAMPLES = 2_000
/**
 * Calls each contender makes when its pool opens, before any round: (d) measures one call at a time
 * once V8 has compiled the code on both sides. A new pool's worst calls are slower for its first
 * thousands of calls (the JIT: @conc's 99th percentile of each 2,000 calls settles after about
 * 12,000 on processes and 6,000 on threads, the peers' after 2,000 to 6,000), which
 * diag/latency-windows.mjs measures; 1,000 calls here left most rounds inside that.
 */
const LATENCY_WARMUP = 20_000

/** Copies: [key, label, bytes, tasks, outstanding]. */
const COPY_CASES = [
  ['kib64', '64 KiB in and out (copied), 64 outstanding', 64 * KiB, 4000, 64],
  ['mib64', '1 MiB in and out (copied), 64 outstanding', MiB, 2048, 64],
  ['mib256', '1 MiB in and out (copied), 256 outstanding', MiB, 2048, 256],
  ['mib1000', '1 MiB in and out (copied), 1,000 at once', MiB, 1000, 1000],
]
const RING = 16

/** Transfers: [key, label, bytes, tasks, outstanding]. */
const MOVE_CASES = [
  ['kib64', '64 KiB argument transferred, result moved back, 64 outstanding', 64 * KiB, 4000, 64],
  ['mib1', '1 MiB argument transferred, result moved back, 64 outstanding', MiB, 2048, 64],
]

export const WORKLOADS = [
  {
    id: 'bursts',
    title: `Trivial tasks (\`x => x + 1\`): one burst of ${BURST_TOTAL.toLocaleString('en-US')}, and ${BURST_COUNT} bursts of ${BURST_SIZE.toLocaleString('en-US')} awaited one after another`,
    profile: 'default',
    backends: ['thread', 'process'],
    rounds: 3,
    metrics: [
      { key: 'once', label: `(1) ${BURST_TOTAL.toLocaleString('en-US')} trivial tasks submitted at once`, better: 'higher', unit: 'tasks/s' },
      { key: 'by10k', label: `(f) trivial tasks in bursts of ${BURST_SIZE.toLocaleString('en-US')} (${BURST_COUNT} bursts, each awaited)`, better: 'higher', unit: 'tasks/s' },
    ],
    // The same rule for everyone: bursts of 10,000 until 60,000 tasks or 2 s. A pool that runs
    // 500,000 tasks a second needs tens of thousands of calls before its code is optimized; the
    // slow peers reach their pace within the 2 s.
    async warmup(pool) {
      const started = performance.now()
      for (let done = 0; done < 60_000 && performance.now() - started < 2000; done += 10_000) {
        await atOnce(10_000, (i) => pool.run('inc', done + i), (v, i) => check(v === done + i + 1, `inc(${done + i}) = ${v}`))
      }
    },
    async run(pool, state, round) {
      const verify = (v, i) => check(v === i + 1, `inc(${i}) = ${v}`)
      const out = {}
      const cases = {
        async by10k() {
          let ms = 0
          for (let b = 0; b < BURST_COUNT; b++) ms += await atOnce(BURST_SIZE, (i) => pool.run('inc', b * BURST_SIZE + i), (v, i) => verify(v, b * BURST_SIZE + i))
          out.by10k = rate(BURST_SIZE * BURST_COUNT, ms)
        },
        async once() {
          out.once = rate(BURST_TOTAL, await atOnce(BURST_TOTAL, (i) => pool.run('inc', i), verify))
        },
      }
      for (const name of rotate(['by10k', 'once'], round)) {
        await cases[name]()
        globalThis.gc?.()
      }
      return out
    },
  },
  {
    id: 'cpu',
    title: `(2) CPU-bound: a naive prime count below 120,000 + i for i < 64, all submitted at once`,
    profile: 'default',
    backends: ['thread', 'process'],
    refs: ['inline', 'bare-threads'],
    rounds: 5,
    metrics: [{ key: 'ms', label: '(2) 64 prime counts (~5–20 ms each), at once', better: 'lower', unit: 'ms', speedup: true }],
    prepare: () => ({ expected: PRIME_INPUTS.map(countPrimes) }),
    async warmup(pool) {
      await atOnce(8, (i) => pool.run('countPrimes', 1000 + i), () => {})
    },
    async run(pool, { expected }) {
      const ms = await atOnce(PRIME_INPUTS.length, (i) => pool.run('countPrimes', PRIME_INPUTS[i]), (v, i) => check(v === expected[i], `countPrimes(${PRIME_INPUTS[i]}) = ${v}`))
      return { ms }
    },
  },
  {
    id: 'map',
    title: '(3) `map` of `x => x + 1` over 1,000,000 numbers, chunks of 10,000 (peers: one task per chunk)',
    profile: 'default',
    backends: ['thread', 'process'],
    rounds: 5,
    metrics: [{ key: 'rate', label: '(3) map over 1,000,000 items, chunksize 10,000', better: 'higher', unit: 'items/s' }],
    prepare: () => ({ items: Array.from({ length: MAP_ITEMS }, (_, i) => i) }),
    async warmup(pool, { items }) {
      await pool.map(items.slice(0, 100_000))
    },
    async run(pool, { items }) {
      const started = performance.now()
      const out = await pool.map(items)
      const ms = performance.now() - started
      check(out.length === MAP_ITEMS, `map gave ${out.length} items`)
      for (let i = 0; i < MAP_ITEMS; i++) check(out[i] === i + 1, `map item ${i} = ${out[i]}`)
      return { rate: rate(MAP_ITEMS, ms) }
    },
  },
  {
    id: 'async',
    title: `(a) ${ASYNC_TASKS.toLocaleString('en-US')} async tasks that each await a 5 ms timer, submitted at once`,
    profile: 'async',
    backends: ['thread', 'process'],
    rounds: 3,
    metrics: [{ key: 'ms', label: `(a) ${ASYNC_TASKS.toLocaleString('en-US')} async tasks (each awaits 5 ms), at once`, better: 'lower', unit: 'ms' }],
    async warmup(pool) {
      await atOnce(200, (i) => pool.run('sleepInc', i), (v, i) => check(v === i + 1, `sleepInc(${i}) = ${v}`))
    },
    async run(pool) {
      const ms = await atOnce(ASYNC_TASKS, (i) => pool.run('sleepInc', i), (v, i) => check(v === i + 1, `sleepInc(${i}) = ${v}`))
      return { ms }
    },
  },
  {
    id: 'copies',
    title: '(b) Binary payloads copied both ways: a `Uint8Array` in, the same bytes back',
    profile: 'binary',
    backends: ['thread', 'process'],
    rounds: 3,
    metrics: COPY_CASES.map(([key, label]) => ({ key, label: `(b) ${label}`, better: 'higher', unit: 'tasks/s' })),
    prepare: () => ({ rings: Object.fromEntries(COPY_CASES.map(([key, , size]) => [key, Array.from({ length: RING }, (_, k) => payload(size, k))])) }),
    async warmup(pool, { rings }) {
      const ring = rings.kib64
      await windowed(200, 16, (i) => pool.run('echoBytes', ring[i % RING]), (v, i) => checkPayload(v, 64 * KiB, i % RING))
      const big = rings.mib64
      await windowed(256, 64, (i) => pool.run('echoBytes', big[i % RING]), (v, i) => checkPayload(v, MiB, i % RING))
    },
    async run(pool, { rings }, round) {
      const out = {}
      for (const [key, , size, tasks, outstanding] of rotate(COPY_CASES, round)) {
        const ring = rings[key]
        const ms = await windowed(tasks, outstanding, (i) => pool.run('echoBytes', ring[i % RING]), (v, i) => checkPayload(v, size, i % RING))
        out[key] = rate(tasks, ms)
        globalThis.gc?.()
      }
      return out
    },
  },
  {
    id: 'transfer',
    title: '(c) Binary payloads transferred: a fresh `Uint8Array` per task, its buffer in the transfer list, the result moved back where the library can',
    profile: 'default',
    backends: ['thread'],
    rounds: 7,
    metrics: MOVE_CASES.map(([key, label]) => ({ key, label: `(c) ${label}`, better: 'higher', unit: 'tasks/s' })),
    async warmup(pool) {
      await windowed(500, 64, (i) => pool.runMove(payload(64 * KiB, i)), (v, i) => checkPayload(v, 64 * KiB, i))
      await windowed(128, 64, (i) => pool.runMove(payload(MiB, i)), (v, i) => checkPayload(v, MiB, i))
    },
    async run(pool, state, round) {
      const out = {}
      for (const [key, , size, tasks, outstanding] of rotate(MOVE_CASES, round)) {
        const sent = new Array(tasks)
        const ms = await windowed(
          tasks,
          outstanding,
          (i) => pool.runMove((sent[i] = payload(size, i))),
          (v, i) => {
            checkPayload(v, size, i)
            check(sent[i].byteLength === 0, `the argument of task ${i} was copied, not transferred`)
            sent[i] = undefined
          },
        )
        out[key] = rate(tasks, ms)
        globalThis.gc?.()
      }
      return out
    },
  },
  {
    id: 'latency',
    title: `(d) Latency: one trivial task at a time, awaited (${LATENCY_SAMPLES.toLocaleString('en-US')} calls per round after 100 not timed, and ${LATENCY_WARMUP.toLocaleString('en-US')} when the pool opens; no forced collection before a round)`,
    profile: 'default',
    backends: ['thread', 'process'],
    refs: { thread: ['raw-worker'], process: ['raw-fork-v8', 'raw-fork-json'] },
    rounds: 7,
    // A round leaves next to no garbage, and a forced full collection before it changes what the
    // round measures: it shrinks the young generation (@conc's threads: p99 61-99 µs after one,
    // 30-50 without) and leaves V8's sweepers running into the round, which keeps this VM's idle
    // core awake (workerpool's thread median 16 µs after one, 50 without). See FINDINGS round 10.
    collectBeforeRound: false,
    metrics: [
      { key: 'p50', label: '(d) latency of one awaited trivial task, p50', better: 'lower', unit: 'µs' },
      { key: 'p99', label: '(d) latency of one awaited trivial task, p99', better: 'lower', unit: 'µs' },
    ],
    async warmup(pool) {
      for (let i = 0; i < LATENCY_WARMUP; i++) check((await pool.run('inc', i)) === i + 1, 'inc')
    },
    async run(pool) {
      for (let i = 0; i < 100; i++) check((await pool.run('inc', i)) === i + 1, 'inc')
      const samples = new Float64Array(LATENCY_SAMPLES)
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const started = performance.now()
        const value = await pool.run('inc', i)
        samples[i] = (performance.now() - started) * 1000
        check(value === i + 1, `inc(${i}) = ${value}`)
      }
      samples.sort()
      return { p50: percentile(samples, 50), p99: percentile(samples, 99), p90: percentile(samples, 90), max: samples[samples.length - 1] }
    },
  },
  {
    id: 'cpu1ms',
    title: '(e) Small CPU tasks: 400 prime counts of about 1 ms each (below 30,000 + i), submitted at once',
    profile: 'default',
    backends: ['thread', 'process'],
    refs: ['inline'],
    rounds: 5,
    metrics: [{ key: 'ms', label: '(e) 400 CPU tasks of ~1 ms, at once', better: 'lower', unit: 'ms', speedup: true }],
    prepare: () => ({ expected: SMALL_PRIME_INPUTS.map(countPrimes) }),
    async warmup(pool, { expected }) {
      await atOnce(100, (i) => pool.run('countPrimes', SMALL_PRIME_INPUTS[i]), (v, i) => check(v === expected[i], 'countPrimes'))
    },
    async run(pool, { expected }) {
      const ms = await atOnce(SMALL_PRIME_INPUTS.length, (i) => pool.run('countPrimes', SMALL_PRIME_INPUTS[i]), (v, i) => check(v === expected[i], `countPrimes(${SMALL_PRIME_INPUTS[i]}) = ${v}`))
      return { ms }
    },
  },
]

/** The reference contenders of a workload on a backend. */
export function refsOf(workload, backend) {
  const refs = workload.refs
  if (refs === undefined) return []
  return Array.isArray(refs) ? refs : (refs[backend] ?? [])
}
