/**
 * What speedup the machine allows right now: workload 2 on `workers` bare worker threads (no pool,
 * inputs split round-robin, started before timing), paired with inline runs as in driver.mjs.
 * On a shared or loaded machine this is below the core count, and no pool can beat it.
 *
 *   node bench/pools/ceiling.mjs <workers>
 */
import { Worker, isMainThread, parentPort } from 'node:worker_threads'
import { countPrimes } from './tasks.mjs'

const PRIME_INPUTS = Number(process.env.BENCH_PRIME_INPUTS ?? 64)
const PRIME_N = Number(process.env.BENCH_PRIME_N ?? 120_000)

if (!isMainThread) {
  parentPort.on('message', (inputs) => {
    let sum = 0
    for (const n of inputs) sum += countPrimes(n)
    parentPort.postMessage(sum)
  })
} else {
  const workers = Number(process.argv[2])
  const inputs = Array.from({ length: PRIME_INPUTS }, (_, i) => PRIME_N + i)
  const threads = Array.from({ length: workers }, () => new Worker(new URL(import.meta.url)))
  const run = (share) => Promise.all(threads.map((w, k) => new Promise((resolve) => {
    w.once('message', resolve)
    w.postMessage(share(k))
  })))
  await run(() => [1000])
  const ratios = []
  for (let r = 0; r < 4; r++) {
    let t = performance.now()
    for (const n of inputs) countPrimes(n)
    const inline = performance.now() - t
    t = performance.now()
    await run((k) => inputs.filter((_, i) => i % workers === k))
    ratios.push(inline / (performance.now() - t))
  }
  for (const w of threads) await w.terminate()
  const warm = ratios.slice(1) // the first inline run was cold
  const sorted = [...warm].sort((a, b) => a - b)
  process.stdout.write(`${JSON.stringify({ speedup: sorted[sorted.length >> 1], samples: warm })}\n`)
}
