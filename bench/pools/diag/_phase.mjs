import { open } from '../libraries.mjs'
const [id = 'conc-thread', spells = '3', idleMs = '1300', calls = '6000'] = process.argv.slice(2)
const pool = await open(id, 'default', 2)
let call = 0
const run = async (n, samples) => { for (let i = 0; i < n; i++, call++) { const t = performance.now(); const v = await pool.run('inc', call); if (samples) samples[i] = (performance.now() - t) * 1000; if (v !== call + 1) throw new Error('bad') } }
await run(20000)
const W = 500
for (let s = 0; s < Number(spells); s++) {
  await new Promise((r) => setTimeout(r, Number(idleMs)))
  const samples = new Float64Array(Number(calls))
  await run(Number(calls), samples)
  const cells = []
  for (let w = 0; w < samples.length; w += W) { const win = samples.slice(w, w + W).sort(); cells.push(`${win[W / 2].toFixed(0)}/${win[Math.ceil(W * 0.99) - 1].toFixed(0)}`) }
  console.log(id, 'spell', s, cells.join(' '))
}
await pool.close(); process.exit(0)
