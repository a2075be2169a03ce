/**
 * Diagnosis (a): 2,000 async tasks that each await a 5 ms timer, on @conc, with the worker-side
 * trace of how many tasks each worker had in flight. Run from bench/ (current packages) or from a
 * scratch copy with a patched pool worker.
 *
 *   node bench/pools/diag/async.mjs thread|process [tasks]
 */
import { fromModule } from '@conc/threading'
import { sleepInc } from '../tasks.mjs'

const kind = process.argv[2] ?? 'thread'
const N = Number(process.argv[3] ?? 2000)
const lib = kind === 'thread' ? await import('@conc/threading') : await import('@conc/multiprocessing')
const Executor = lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor
const ex = new Executor({ maxWorkers: 2 })
const fn = lib.fromModule(sleepInc, new URL('../tasks.mjs', import.meta.url))
void fromModule
await Promise.all(Array.from({ length: 200 }, (_, i) => ex.submit(fn, i)))
for (let r = 0; r < 3; r++) {
  const t = performance.now()
  const v = await Promise.all(Array.from({ length: N }, (_, i) => ex.submit(fn, i)))
  const ms = performance.now() - t
  if (v.some((x, i) => x !== i + 1)) throw new Error('wrong')
  console.log(`${kind}: ${N} async tasks (5 ms each) in ${ms.toFixed(0)} ms = ${((ms * 2) / N).toFixed(2)} ms per task per worker`)
}
// With SCRATCH_TRACE=1 (scratch copy) the workers print their trace after 300 ms idle.
if (process.env.SCRATCH_TRACE === '1') await new Promise((resolve) => setTimeout(resolve, 500))
await ex.shutdown()
