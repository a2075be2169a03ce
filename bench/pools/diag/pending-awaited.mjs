/**
 * Diagnosis (f): heap retained per pending task once it is awaited, i.e. after the microtasks of
 * `await` / `Promise.all` have run and every future's `then` has been called (pending-heap.mjs and
 * heap-classes.mjs measure before those microtasks run, so they leave out the future's own
 * promise). A fresh @conc executor whose workers are still starting keeps every task pending.
 *
 *   node --expose-gc bench/pools/diag/pending-awaited.mjs [thread|process] [N] [rounds]
 */
const [kind = 'process', nArg = '100000', roundsArg = '3'] = process.argv.slice(2)
const N = Number(nArg)
const lib = kind === 'thread' ? await import('@conc/threading') : await import('@conc/multiprocessing')
const Executor = lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor
const tasks = new URL('../tasks.mjs', import.meta.url)
const inc = lib.fromModule((await import(tasks.href)).inc, tasks)
const rows = []
for (let r = 0; r < Number(roundsArg); r++) {
  const ex = new Executor({ maxWorkers: 2 })
  globalThis.gc()
  const h0 = process.memoryUsage().heapUsed
  const futures = new Array(N)
  for (let i = 0; i < N; i++) futures[i] = ex.submit(inc, i)
  globalThis.gc()
  const h1 = process.memoryUsage().heapUsed
  const all = Promise.all(futures)
  // Let the thenable jobs run: each future's `then` is called now.
  for (let i = 0; i < 5; i++) await null
  globalThis.gc()
  const h2 = process.memoryUsage().heapUsed
  const t = performance.now()
  const values = await all
  const ms = performance.now() - t
  if (values[N - 1] !== N) throw new Error('wrong')
  rows.push(`retained per task: ${((h1 - h0) / N).toFixed(0)} B submitted, ${((h2 - h0) / N).toFixed(0)} B awaited; ${Math.round((N / ms) * 1000).toLocaleString('en-US')} tasks/s from the first dispatch`)
  await ex.shutdown()
}
console.log(`${kind}, ${N.toLocaleString('en-US')} tasks: ${rows.join(' | ')}`)
