/**
 * The point of the lesson: one CPU-bound function, cut into N equal slices (N = the CPUs Node may
 * use), run one slice after another in the main thread, then in N threads, then in N processes.
 */
import { availableParallelism, loadavg } from 'node:os'
import { Process } from '@conc/multiprocessing'
import { Thread, fromModule } from '@conc/threading'
import { notes, table } from './report.js'
import { countPrimes } from './tasks.js'

// countPrimes is exported from tasks.js, not from this module: say where the units find it.
const work = fromModule(countPrimes, new URL('./tasks.js', import.meta.url))

async function timed(run: () => Promise<void> | void): Promise<number> {
  const start = performance.now()
  await run()
  return performance.now() - start
}

async function inParallel(units: readonly { start(): void; join(): Promise<void> }[]): Promise<void> {
  for (const unit of units) unit.start()
  await Promise.all(units.map((unit) => unit.join()))
}

/** Runs the comparison and prints its table. */
export async function runComparison(limit: number): Promise<void> {
  const n = availableParallelism()
  const slices = Array.from({ length: n }, (_, i) => [limit, i, n] as const)
  console.log(`\n=== The same CPU-bound work: inline, in threads, in processes`)
  console.log(`countPrimes below ${limit.toLocaleString('en')} by trial division, in ${n} slices (os.availableParallelism() = ${n})`)

  let primes = 0
  const inline = await timed(() => {
    for (const [l, slice, count] of slices) primes += work(l, slice, count)
  })
  const threads = await timed(() => inParallel(slices.map((args) => new Thread({ target: work, args }))))
  const processes = await timed(() => inParallel(slices.map((args) => new Process({ target: work, args }))))

  console.log(`${primes.toLocaleString('en')} primes found\n`)
  const rows = [
    { mode: 'inline (one after another)', units: 1, ms: inline },
    { mode: 'threads (@conc/threading)', units: n, ms: threads },
    { mode: 'processes (@conc/multiprocessing)', units: n, ms: processes },
  ]
  console.log(table(rows, n))
  console.log(`\n${notes(rows, { cpus: n, load: loadavg()[0] ?? 0 }).join('\n')}`)
}
