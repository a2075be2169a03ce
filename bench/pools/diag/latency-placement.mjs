/**
 * Diagnosis (d) threads: one awaited trivial task at a time, with the threads of the contender's
 * process placed by the kernel or pinned (`taskset`, util-linux): `apart` puts the main thread on
 * CPU 0 and every other thread (the workers, V8's and libuv's) on CPU 1; `together` puts them all on
 * CPU 0. Where the kernel puts a pool's worker and the program decides whether a worker thread's
 * spin pays (core's executor/spin-backoff.ts; bench/FINDINGS-pools.md, round 14). Warms the pool up
 * with 20,000 calls, then per round waits `idleMs` and times 2,000 calls after 100; prints p50,
 * p90 and p99 in µs.
 *
 *   node bench/pools/diag/latency-placement.mjs <contender> [kernel|apart|together] [rounds=3] [idleMs=300]
 *   (contenders: see libraries.mjs; with BENCH_AB, conc-thread-ab is a checkout's build)
 */
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { open } from '../libraries.mjs'

const [id = 'conc-thread', placement = 'kernel', roundsArg = '3', idleArg = '300'] = process.argv.slice(2)
if (!['kernel', 'apart', 'together'].includes(placement)) throw new Error(`placement: kernel, apart or together, not ${placement}`)
const pool = await open(id, 'default', 2)
for (let i = 0; i < 20_000; i++) await pool.run('inc', i)
if (placement !== 'kernel') {
  for (const tid of readdirSync('/proc/self/task')) {
    const cpu = placement === 'together' || tid === String(process.pid) ? 0 : 1
    execFileSync('taskset', ['-p', '-c', String(cpu), tid], { stdio: 'ignore' })
  }
}
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
const cells = []
for (let r = 0; r < Number(roundsArg); r++) {
  await new Promise((resolve) => setTimeout(resolve, Number(idleArg)))
  const lat = []
  for (let i = 0; i < 2100; i++) {
    const started = performance.now()
    const v = await pool.run('inc', i)
    if (i >= 100) lat.push((performance.now() - started) * 1000)
    if (v !== i + 1) throw new Error(`inc(${i}) = ${v}`)
  }
  lat.sort((a, b) => a - b)
  cells.push(`${pct(lat, 50).toFixed(0)}/${pct(lat, 90).toFixed(0)}/${pct(lat, 99).toFixed(0)}`)
}
console.log(`${id} ${placement}: p50/p90/p99 µs per round ${cells.join('  ')}`)
await pool.close()
process.exit(0)
