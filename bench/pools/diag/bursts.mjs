/**
 * Diagnosis (f): the rate of trivial tasks against the burst size, with this thread's garbage
 * collections (count and time, by kind), the heap each pending task holds (measured right after
 * the submit loop, before any answer is handled) and how much the old generation grew.
 *
 *   node --expose-gc bench/pools/diag/bursts.mjs <contender> [burst sizes, e.g. 10000,50000,100000] [rounds]
 */
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { getHeapSpaceStatistics } from 'node:v8'
import { open } from '../libraries.mjs'

const [id = 'conc-thread', sizesArg = '10000,50000,100000', roundsArg = '3'] = process.argv.slice(2)
const sizes = sizesArg.split(',').map(Number)
const TOTAL = Math.max(...sizes)
const pool = await open(id, 'default', 2)
const KIND = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-sweep', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak' }
let gcs = []
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ kind: KIND[e.detail?.kind] ?? String(e.detail?.kind), ms: e.duration })
})
observer.observe({ entryTypes: ['gc'] })
const oldUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size
await Promise.all(Array.from({ length: 20000 }, (_, i) => pool.run('inc', i)))
for (let r = 0; r < Number(roundsArg); r++) {
  for (const size of sizes) {
    globalThis.gc?.()
    await new Promise((resolve) => setTimeout(resolve, 20))
    gcs = []
    const old0 = oldUsed()
    let heldPerTask = 0
    const t = performance.now()
    for (let done = 0; done < TOTAL; done += size) {
      const heap0 = process.memoryUsage().heapUsed
      const futures = new Array(size)
      for (let i = 0; i < size; i++) futures[i] = pool.run('inc', done + i)
      if (done === 0) heldPerTask = (process.memoryUsage().heapUsed - heap0) / size
      const values = await Promise.all(futures)
      for (let i = 0; i < size; i++) if (values[i] !== done + i + 1) throw new Error('wrong')
    }
    const ms = performance.now() - t
    await new Promise((resolve) => setTimeout(resolve, 20))
    const byKind = {}
    for (const g of gcs) {
      const k = (byKind[g.kind] ??= { n: 0, ms: 0 })
      k.n++
      k.ms += g.ms
    }
    const gcText = Object.entries(byKind).map(([k, v]) => `${k} ${v.n}× ${v.ms.toFixed(0)} ms`).join(', ')
    console.log(
      `${id}: ${TOTAL} tasks in bursts of ${size}: ${Math.round((TOTAL / ms) * 1000).toLocaleString('en-US')} tasks/s; ~${heldPerTask.toFixed(0)} B of heap per pending task; ` +
        `old space ${((oldUsed() - old0) / 2 ** 20).toFixed(1)} MiB more; GC in this thread: ${gcText || 'none'}`,
    )
  }
}
observer.disconnect()
// With SCRATCH_TRACE=1 (scratch copy) the workers print their trace after 300 ms idle.
if (process.env.SCRATCH_TRACE === '1') await new Promise((resolve) => setTimeout(resolve, 500))
await pool.close()
process.exit(0)
