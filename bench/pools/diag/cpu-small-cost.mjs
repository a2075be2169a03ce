/**
 * Diagnosis (e), with CPU time: 400 CPU tasks of ~1 ms (prime counts below 30,000 + i) at once on a
 * process contender; per round the wall time, this process's CPU, its children's CPU (the workers:
 * the tasks plus their per-message cost), and how much of the 2 workers' time went unused
 * (2 × wall − children's CPU; on a loaded machine this includes waiting for a CPU), and how often
 * the workers slept (voluntary context switches): each sleep gives up the CPU, and on a loaded
 * machine getting it back means waiting.
 *
 *   node bench/pools/diag/cpu-small-cost.mjs <contender> [rounds]
 */
import { readFileSync, readdirSync } from 'node:fs'
import { open } from '../libraries.mjs'
import { countPrimes } from '../tasks.mjs'

const TICK_MS = 10 // USER_HZ 100
/** CPU ms (user + system) and voluntary context switches (sleeps) of every child process of this one (not their children). */
function children() {
  let ticks = 0
  let sleeps = 0
  for (const tid of readdirSync('/proc/self/task')) {
    let kids = ''
    try {
      kids = readFileSync(`/proc/self/task/${tid}/children`, 'utf8')
    } catch {
      continue
    }
    for (const pid of kids.trim().split(/\s+/).filter(Boolean)) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        ticks += Number(f[11]) + Number(f[12])
        sleeps += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1])
      } catch {
        // ended
      }
    }
  }
  return { cpu: ticks * TICK_MS, sleeps }
}

const [id = 'conc-process', roundsArg = '5'] = process.argv.slice(2)
const inputs = Array.from({ length: 400 }, (_, i) => 30_000 + i)
const expected = inputs.map(countPrimes)
const pool = await open(id, 'default', 2)
await Promise.all(inputs.slice(0, 100).map((n) => pool.run('countPrimes', n)))
const rows = []
for (let r = 0; r < Number(roundsArg); r++) {
  const c0 = children()
  const p0 = process.cpuUsage()
  const t = performance.now()
  const v = await Promise.all(inputs.map((n) => pool.run('countPrimes', n)))
  const ms = performance.now() - t
  const p = process.cpuUsage(p0)
  const c1 = children()
  const c = c1.cpu - c0.cpu
  if (v.some((x, i) => x !== expected[i])) throw new Error('wrong')
  rows.push(`${ms.toFixed(0)} ms, parent ${((p.user + p.system) / 1000).toFixed(0)} ms CPU, workers ${c} ms CPU, unused ${(2 * ms - c).toFixed(0)} ms, workers slept ${((c1.sleeps - c0.sleeps) / inputs.length).toFixed(2)}× per task`)
}
console.log(`${id}: ${rows.join(' | ')}`)
await pool.close()
process.exit(0)
