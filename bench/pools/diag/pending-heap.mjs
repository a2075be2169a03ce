/**
 * Diagnosis (f): heap allocated and retained per pending task. Submits N trivial tasks in one
 * synchronous loop (no answer can be handled meanwhile), then measures the heap growth before and
 * after a full collection (what each pending task keeps alive), and again once they are awaited
 * through Promise.all (what awaiting adds). Run with a big young generation so that no GC runs
 * inside the loop:
 *
 *   node --expose-gc --max-semi-space-size=512 bench/pools/diag/pending-heap.mjs <contender> [N]
 */
import { open } from '../libraries.mjs'

const [id = 'conc-thread', nArg = '100000'] = process.argv.slice(2)
const N = Number(nArg)
const pool = await open(id, 'default', 2)
await Promise.all(Array.from({ length: 20000 }, (_, i) => pool.run('inc', i)))
for (let r = 0; r < 2; r++) {
  globalThis.gc()
  const h0 = process.memoryUsage().heapUsed
  const futures = new Array(N)
  for (let i = 0; i < N; i++) futures[i] = pool.run('inc', i)
  const h1 = process.memoryUsage().heapUsed
  globalThis.gc()
  const h2 = process.memoryUsage().heapUsed
  const all = Promise.all(futures)
  const h3 = process.memoryUsage().heapUsed
  globalThis.gc()
  const h4 = process.memoryUsage().heapUsed
  const values = await all
  if (values[N - 1] !== N) throw new Error('wrong')
  console.log(
    `${id}: per pending task: ${((h1 - h0) / N).toFixed(0)} B allocated by submit, ${((h2 - h0) / N).toFixed(0)} B retained after a full GC (future + task + queue slot); ` +
      `Promise.all over them: ${((h3 - h2) / N).toFixed(0)} B more allocated, ${((h4 - h2) / N).toFixed(0)} B more retained`,
  )
}
await pool.close()
process.exit(0)
