/**
 * Diagnosis (d), in CPU time: one awaited trivial task at a time on a process contender; prints
 * the wall time per call and the CPU per call of this process and of its children (the workers),
 * which a loaded machine changes much less than the wall time.
 *
 *   node bench/pools/diag/latency-cpu.mjs <contender> [calls]   
 */
import { readFileSync, readdirSync } from 'node:fs'
import { open } from '../libraries.mjs'
function kids() {
  let t = 0
  for (const tid of readdirSync('/proc/self/task')) {
    let k = ''
    try { k = readFileSync(`/proc/self/task/${tid}/children`, 'utf8') } catch { continue }
    for (const pid of k.trim().split(/\s+/).filter(Boolean)) {
      try { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); t += Number(f[11]) + Number(f[12]) } catch {}
    }
  }
  return t * 10
}
const id = process.argv[2], N = Number(process.argv[3] ?? 10000)
const pool = await open(id, 'default', 2)
for (let i = 0; i < 3000; i++) await pool.run('inc', i)
const k0 = kids(), p0 = process.cpuUsage(), t0 = performance.now()
for (let i = 0; i < N; i++) if ((await pool.run('inc', i)) !== i + 1) throw new Error('wrong')
const wall = performance.now() - t0, p = process.cpuUsage(p0), k = kids() - k0
console.log(`${id}: ${(wall / N * 1000).toFixed(0)} µs/call wall, parent ${((p.user + p.system) / N).toFixed(1)} µs CPU/call, children ${(k * 1000 / N).toFixed(1)} µs CPU/call`)
await pool.close(); process.exit(0)
