import { open } from '../libraries.mjs'
const [id = 'conc-thread', calls = '20000'] = process.argv.slice(2)
const pool = await open(id, 'default', 2)
let call = 0
const run = async (n) => { for (let i = 0; i < n; i++, call++) { const v = await pool.run('inc', call); if (v !== call + 1) throw new Error('bad') } }
await run(20000)
for (let r = 0; r < 3; r++) {
  const c0 = process.cpuUsage(), t0 = performance.now(), u0 = process.resourceUsage()
  await run(Number(calls))
  const c = process.cpuUsage(c0), u = process.resourceUsage()
  const n = Number(calls)
  console.log(id, 'µs/call wall', ((performance.now() - t0) * 1000 / n).toFixed(1), 'cpu', ((c.user + c.system) / n).toFixed(1), 'user', (c.user / n).toFixed(1), 'sys', (c.system / n).toFixed(1), 'volctx/call', ((u.voluntaryContextSwitches - u0.voluntaryContextSwitches) / n).toFixed(2))
}
await pool.close(); process.exit(0)
