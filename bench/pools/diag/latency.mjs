/**
 * Diagnosis (d): one awaited trivial task at a time. Prints p50/p90/p99/max in µs, how many samples
 * overlapped a garbage collection of this thread, p99 without them, and this process's CPU per call.
 *
 *   node bench/pools/diag/latency.mjs <contender> [calls] [rounds]
 *   (contenders: see libraries.mjs, e.g. conc-thread, conc-process, piscina, raw-worker, raw-fork-v8)
 *   DIAG_PROFILE=file.cpuprofile: a CPU profile of this thread during the timed calls of round 1 only
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { PerformanceObserver } from 'node:perf_hooks'

/** CPU ticks (user + system) of each thread of this process: the main thread, then others by name and id. */
function threadTicks() {
  const out = {}
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      const name = Number(tid) === process.pid ? 'main' : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}#${tid}`
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out[name] = (out[name] ?? 0) + Number(f[11]) + Number(f[12])
    } catch {
      // the thread ended
    }
  }
  return out
}

/** read and write system calls of this process so far, and its voluntary context switches. */
function sysCounts() {
  const io = Object.fromEntries(readFileSync('/proc/self/io', 'utf8').trim().split('\n').map((l) => l.split(': ')))
  const status = readFileSync('/proc/self/status', 'utf8')
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const minflt = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7])
  return { r: Number(io.syscr), w: Number(io.syscw), cs: Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]), minflt }
}
import { open } from '../libraries.mjs'

const [id = 'conc-thread', callsArg = '5000', roundsArg = '3'] = process.argv.slice(2)
const calls = Number(callsArg)
const pool = await open(id, 'default', 2)
const gcs = []
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration, kind: e.detail?.kind ?? e.kind })
})
observer.observe({ entryTypes: ['gc'] })
for (let i = 0; i < 2000; i++) await pool.run('inc', i)
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
for (let r = 0; r < Number(roundsArg); r++) {
  gcs.length = 0
  const starts = new Float64Array(calls)
  const ends = new Float64Array(calls)
  const session = process.env.DIAG_PROFILE && r === 0 ? new Session() : undefined
  if (session) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 50 })
    await session.post('Profiler.start')
  }
  const cpu0 = process.cpuUsage()
  const sys0 = sysCounts()
  const ticks0 = threadTicks()
  for (let i = 0; i < calls; i++) {
    starts[i] = performance.now()
    const v = await pool.run('inc', i)
    ends[i] = performance.now()
    if (v !== i + 1) throw new Error('wrong')
  }
  const cpu = process.cpuUsage(cpu0)
  const sys1 = sysCounts()
  const ticks1 = threadTicks()
  if (session) {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(process.env.DIAG_PROFILE, JSON.stringify(profile))
    session.disconnect()
  }
  await new Promise((resolve) => setTimeout(resolve, 10)) // let the gc entries arrive
  const all = []
  const clean = []
  let hit = 0
  for (let i = 0; i < calls; i++) {
    const us = (ends[i] - starts[i]) * 1000
    all.push(us)
    if (gcs.some((g) => g.start < ends[i] && g.end > starts[i])) hit++
    else clean.push(us)
  }
  all.sort((a, b) => a - b)
  clean.sort((a, b) => a - b)
  const kinds = {}
  for (const g of gcs) kinds[g.kind] = (kinds[g.kind] ?? 0) + 1
  console.log(
    `${id}: p50 ${pct(all, 50).toFixed(0)} µs, p90 ${pct(all, 90).toFixed(0)}, p99 ${pct(all, 99).toFixed(0)}, max ${all.at(-1).toFixed(0)}; ` +
      `${gcs.length} GCs in this thread (kinds ${JSON.stringify(kinds)}), ${hit} calls overlapped one; p99 without them ${pct(clean, 99).toFixed(0)} µs; ` +
      `CPU of this process ${((cpu.user + cpu.system) / calls).toFixed(1)} µs per call (user ${(cpu.user / calls).toFixed(1)}, sys ${(cpu.system / calls).toFixed(1)}); per call ${((sys1.r - sys0.r) / calls).toFixed(2)} read and ${((sys1.w - sys0.w) / calls).toFixed(2)} write system calls, ${((sys1.cs - sys0.cs) / calls).toFixed(2)} voluntary context switches, ${((sys1.minflt - sys0.minflt) / calls).toFixed(2)} minor page faults; CPU ms by thread: ${Object.entries(ticks1).map(([k, v]) => [k, (v - (ticks0[k] ?? 0)) * 10]).filter(([, ms]) => ms > 0).map(([k, ms]) => `${k} ${ms}`).join(', ')}`,
  )
}
observer.disconnect()
// With SCRATCH_TRACE=1 (scratch copy) the workers print their trace after 300 ms idle.
if (process.env.SCRATCH_TRACE === '1') await new Promise((resolve) => setTimeout(resolve, 500))
await pool.close()
process.exit(0)
