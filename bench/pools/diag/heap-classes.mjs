/**
 * Diagnosis (f): which objects each pending task keeps alive. Takes a heap snapshot before and
 * after submitting N trivial tasks (no answer handled in between) and prints, per constructor
 * name, how many more objects and bytes there are, divided by N.
 *
 *   node --expose-gc bench/pools/diag/heap-classes.mjs <contender> [N] [await]
 *   (with `await`, the snapshot is taken after Promise.all has subscribed to every future)
 */
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'
import { open } from '../libraries.mjs'

const [id = 'conc-thread', nArg = '20000', awaitArg] = process.argv.slice(2)
const N = Number(nArg)
const pool = await open(id, 'default', 2)
await Promise.all(Array.from({ length: 20000 }, (_, i) => pool.run('inc', i)))

function census(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'))
  rmSync(file)
  const f = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0]
  const [T, NAME, SIZE] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k))
  const out = new Map()
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + T]]
    const name = `${type === 'object' || type === 'closure' ? '' : `(${type}) `}${snap.strings[snap.nodes[i + NAME]]}`.slice(0, 60)
    const e = out.get(name) ?? { n: 0, bytes: 0 }
    e.n++
    e.bytes += snap.nodes[i + SIZE]
    out.set(name, e)
  }
  return out
}

globalThis.gc()
const before = census(writeHeapSnapshot(join(tmpdir(), `before-${process.pid}.heapsnapshot`)))
const futures = new Array(N)
for (let i = 0; i < N; i++) futures[i] = pool.run('inc', i)
const all = awaitArg === 'await' ? Promise.all(futures) : undefined
globalThis.gc()
const after = census(writeHeapSnapshot(join(tmpdir(), `after-${process.pid}.heapsnapshot`)))
const rows = []
for (const [name, e] of after) {
  const b = before.get(name) ?? { n: 0, bytes: 0 }
  const dn = (e.n - b.n) / N
  const db = (e.bytes - b.bytes) / N
  if (db >= 4) rows.push([name, dn, db])
}
rows.sort((a, b) => b[2] - a[2])
let total = 0
console.log(`${id}: per pending task${all ? ', awaited with Promise.all' : ''} (objects, bytes):`)
for (const [name, dn, db] of rows.slice(0, 15)) {
  total += db
  console.log(`  ${dn.toFixed(2).padStart(5)} × ${name.padEnd(60)} ${db.toFixed(0).padStart(5)} B`)
}
console.log(`  total of these: ${total.toFixed(0)} B`)
await (all ?? Promise.all(futures))
await pool.close()
process.exit(0)
