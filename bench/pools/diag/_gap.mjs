import { fileURLToPath } from 'node:url'
const [which = 'conc', workers = '1', rounds = '4', n = '64', ms = '5'] = process.argv.slice(2)
const now = () => Number(process.hrtime.bigint() / 1000n)
let run, close
if (which === 'conc') {
  const lib = await import('@conc/multiprocessing')
  const ex = new lib.ProcessPoolExecutor({ maxWorkers: Number(workers) })
  const url = new URL('./_gap-tasks.mjs', import.meta.url)
  const fn = lib.fromModule((await import(url.href)).stamp, url)
  run = (a) => ex.submit(fn, a); close = () => ex.shutdown()
} else {
  const { default: workerpool } = await import('workerpool')
  const pool = workerpool.pool(fileURLToPath(new URL('./_gap-wp.cjs', import.meta.url)), { minWorkers: Number(workers), maxWorkers: Number(workers), workerType: 'process' })
  run = (a) => pool.exec('stamp', [a]); close = () => pool.terminate()
}
for (let r = 0; r < Number(rounds) + 1; r++) {
  const recv = []
  const t0 = now()
  const res = await Promise.all(Array.from({ length: Number(n) }, () => run(Number(ms)).then((v) => { recv.push(now()); return v })))
  const wall = now() - t0
  if (r === 0) continue
  // gaps per worker: sort tasks by start; consecutive tasks on the same worker (1 worker: all)
  res.sort((a, b) => a[0] - b[0])
  const gaps = [], legOut = [], legIn = []
  recv.sort((a, b) => a - b)
  for (let i = 1; i < res.length; i++) {
    const prevEnd = res[i - 1][1]
    gaps.push(res[i][0] - prevEnd)
    const rv = recv.find((t) => t >= prevEnd)
    legOut.push(rv - prevEnd); legIn.push(res[i][0] - rv)
  }
  const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1] }
  const sum = (a) => a.reduce((x, y) => x + y, 0)
  console.log(which, `wall ${(wall / 1000).toFixed(1)} ms  gap med ${med(gaps)} µs sum ${(sum(gaps) / 1000).toFixed(2)} ms | end→program ${med(legOut)} program→start ${med(legIn)}`)
}
await close(); process.exit(0)
