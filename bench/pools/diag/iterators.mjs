/**
 * Diagnosis: the result iterators one item a task (the default `chunksize` 1), against
 * `submit` awaited with `Promise.all`: N trivial calls through `executor.map`, `pool.imap` and
 * `pool.imapUnordered`, consumed with `for await` (2 workers each, interleaved round by round,
 * every result checked).
 *
 *   node bench/pools/diag/iterators.mjs [thread|process] [N] [rounds]
 *
 * `CONC_DIST=<checkout>` measures @conc as built in another checkout (its packages' dist); run it
 * alternately with this one for an A/B (bench/FINDINGS-pools.md, round 16).
 */
import { openConc } from './conc.mjs'

const [kind = 'thread', nArg = '100000', roundsArg = '3'] = process.argv.slice(2)
const N = Number(nArg)
const { inc, executor: ex, pool } = await openConc(kind)
const items = Array.from({ length: N }, (_, i) => i)
const drain = async (iterator) => {
  const out = []
  for await (const value of iterator) out.push(value)
  return out
}
const ways = {
  'submit, Promise.all': () => Promise.all(items.map((i) => ex.submit(inc, i))),
  'executor.map': () => drain(ex.map(inc, items)),
  'pool.imap': () => drain(pool.imap(inc, items)),
  'pool.imapUnordered': async () => (await drain(pool.imapUnordered(inc, items))).sort((a, b) => a - b),
}
for (const run of Object.values(ways)) await run()
const rows = {}
for (let r = 0; r < Number(roundsArg); r++) {
  for (const [name, run] of Object.entries(ways)) {
    const t = performance.now()
    const values = await run()
    const ms = performance.now() - t
    for (let i = 0; i < N; i++) if (values[i] !== i + 1) throw new Error(`${name}: wrong result at ${i}: ${values[i]}`)
    ;(rows[name] ??= []).push(`${Math.round(N / ms)}k/s`)
  }
}
for (const [name, cells] of Object.entries(rows)) console.log(`${kind} ${name.padEnd(20)} ${cells.join('  ')}`)
await ex.shutdown()
pool.terminate()
await pool.join()
