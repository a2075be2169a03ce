/**
 * Diagnosis (f) for the Pool API: N trivial calls submitted at once and awaited with
 * `Promise.all`, through `executor.submit`, `pool.applyAsync` and `pool.apply` (2 workers each,
 * interleaved round by round), with the heap each pending awaited call keeps (measured once
 * `Promise.all` has subscribed to every result) and every result checked.
 *
 *   node --expose-gc bench/pools/diag/pool-apply.mjs [thread|process] [N] [rounds]
 *
 * `CONC_DIST=<checkout>` measures @conc as built in another checkout (its packages' dist); run it
 * alternately with this one for an A/B (bench/FINDINGS-pools.md, round 16).
 */
import { openConc } from './conc.mjs'

const [kind = 'thread', nArg = '50000', roundsArg = '3'] = process.argv.slice(2)
const N = Number(nArg)
const { inc, executor: ex, pool } = await openConc(kind)
const ways = {
  submit: (i) => ex.submit(inc, i),
  applyAsync: (i) => pool.applyAsync(inc, [i]),
  apply: (i) => pool.apply(inc, [i]),
}
// Warm-up: workers started, code optimized.
for (const call of Object.values(ways)) await Promise.all(Array.from({ length: 20000 }, (_, i) => call(i)))
const rows = {}
for (let r = 0; r < Number(roundsArg); r++) {
  for (const [name, call] of Object.entries(ways)) {
    globalThis.gc()
    await new Promise((resolve) => setTimeout(resolve, 20))
    const t = performance.now()
    const heap0 = process.memoryUsage().heapUsed
    const pending = new Array(N)
    for (let i = 0; i < N; i++) pending[i] = call(i)
    const all = Promise.all(pending)
    // Let Promise.all subscribe (and the thenable jobs of anything that is not a native promise run).
    for (let i = 0; i < 5; i++) await null
    const kept = (process.memoryUsage().heapUsed - heap0) / N
    const values = await all
    const ms = performance.now() - t
    for (let i = 0; i < N; i++) if (values[i] !== i + 1) throw new Error(`${name}: wrong result at ${i}: ${values[i]}`)
    ;(rows[name] ??= []).push(`${Math.round(N / ms)}k/s ${Math.round(kept)} B`)
  }
}
for (const [name, cells] of Object.entries(rows)) console.log(`${kind} ${name.padEnd(10)} ${cells.join('  ')}`)
await ex.shutdown()
pool.terminate()
await pool.join()
