/**
 * Diagnosis (e): 400 CPU tasks of ~1 ms (prime counts below 30,000 + i) at once, on a contender;
 * prints the wall time and the main thread's busy share. With SCRATCH_TRACE=1 in a scratch copy,
 * the engine and the workers print the batch sizes and the workers' idle gaps between batches.
 *
 *   node bench/pools/diag/cpu-small.mjs <contender> [rounds]
 */
import { open } from '../libraries.mjs'
import { countPrimes } from '../tasks.mjs'

const [id = 'conc-process', roundsArg = '5'] = process.argv.slice(2)
const inputs = Array.from({ length: 400 }, (_, i) => 30_000 + i)
const expected = inputs.map(countPrimes)
let t = performance.now()
inputs.forEach(countPrimes)
const inline = performance.now() - t
const pool = await open(id, 'default', 2)
await Promise.all(inputs.slice(0, 100).map((n) => pool.run('countPrimes', n)))
for (let r = 0; r < Number(roundsArg); r++) {
  const elu0 = performance.eventLoopUtilization()
  t = performance.now()
  const v = await Promise.all(inputs.map((n) => pool.run('countPrimes', n)))
  const ms = performance.now() - t
  const elu = performance.eventLoopUtilization(elu0)
  if (v.some((x, i) => x !== expected[i])) throw new Error('wrong')
  console.log(`${id}: ${ms.toFixed(0)} ms (inline ${inline.toFixed(0)} ms, ideal on 2 workers ${(inline / 2).toFixed(0)} ms); main thread busy ${(elu.utilization * 100).toFixed(0)}%`)
}
// With SCRATCH_TRACE=1 (scratch copy) the workers print their trace after 300 ms idle.
if (process.env.SCRATCH_TRACE === '1') await new Promise((resolve) => setTimeout(resolve, 500))
await pool.close()
process.exit(0)
