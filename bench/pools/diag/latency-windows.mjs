/**
 * Diagnosis (d): how a new pool's latency settles. Each run is a fresh process (cold JIT) that
 * opens one contender's pool (2 workers), makes one awaited trivial call at a time, and prints
 * the p50 and p99 of each window of 2,000 calls; contenders alternate run by run (the order
 * rotates), every result is checked, and the table gives, per window, the median over the runs.
 * bench:pools measures (d) after 20,000 calls; this shows what comes before.
 *
 *   node bench/pools/diag/latency-windows.mjs [contenders, comma-separated] [runs] [windows]
 *   (default: conc-process,workerpool-process,tinypool-process,poolifier-cluster 3 10)
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const WINDOW = 2_000

if (process.argv[2] === '--one') {
  const { open } = await import('../libraries.mjs')
  const [, , , id, windowsArg] = process.argv
  const pool = await open(id, 'default', 2)
  const out = []
  let call = 0
  for (let w = 0; w < Number(windowsArg); w++) {
    const samples = new Float64Array(WINDOW)
    for (let i = 0; i < WINDOW; i++, call++) {
      const started = performance.now()
      const value = await pool.run('inc', call)
      samples[i] = (performance.now() - started) * 1000
      if (value !== call + 1) throw new Error(`${id}: inc(${call}) = ${value}`)
    }
    samples.sort()
    out.push([samples[WINDOW / 2 - 1], samples[Math.ceil(WINDOW * 0.99) - 1]])
  }
  await pool.close()
  process.stdout.write(JSON.stringify(out))
  process.exit(0)
}

const ids = (process.argv[2] ?? 'conc-process,workerpool-process,tinypool-process,poolifier-cluster').split(',')
const runs = Number(process.argv[3] ?? 3)
const windows = Number(process.argv[4] ?? 10)
const self = fileURLToPath(import.meta.url)
const results = Object.fromEntries(ids.map((id) => [id, []]))
for (let r = 0; r < runs; r++) {
  for (let k = 0; k < ids.length; k++) {
    const id = ids[(k + r) % ids.length]
    results[id].push(JSON.parse(execFileSync(process.execPath, [self, '--one', id, String(windows)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })))
  }
  process.stderr.write(`run ${r + 1}/${runs} done\n`)
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[(sorted.length - 1) >> 1]
}
const head = Array.from({ length: windows }, (_, w) => `${((w * WINDOW) / 1000).toFixed(0)}k–${(((w + 1) * WINDOW) / 1000).toFixed(0)}k`)
console.log(`p99 of each window of ${WINDOW.toLocaleString('en-US')} calls of a new pool, µs (median of ${runs} runs; p50 in brackets)\n`)
console.log(`| contender | ${head.join(' | ')} |`)
console.log(`| --- |${' ---: |'.repeat(windows)}`)
for (const id of ids) {
  const cells = head.map((_, w) => `${median(results[id].map((run) => run[w][1])).toFixed(0)} (${median(results[id].map((run) => run[w][0])).toFixed(0)})`)
  console.log(`| ${id} | ${cells.join(' | ')} |`)
}
