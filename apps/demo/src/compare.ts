/**
 * The point of the lesson: one CPU-bound function, cut into N equal slices (N = the CPUs Node may
 * use), run one slice after another in the main thread, then in N threads, then in N processes.
 */
import { availableParallelism } from 'node:os'
import { Process } from '@conc/multiprocessing'
import { Thread, fromModule } from '@conc/threading'
import { countPrimes } from './tasks.js'

// countPrimes is exported from tasks.js, not from this module: say where the units find it.
const work = fromModule(countPrimes, new URL('./tasks.js', import.meta.url))

interface Row {
  readonly mode: string
  readonly units: number
  readonly ms: number
}

async function timed(run: () => Promise<void> | void): Promise<number> {
  const start = performance.now()
  await run()
  return performance.now() - start
}

async function inParallel(units: readonly { start(): void; join(): Promise<void> }[]): Promise<void> {
  for (const unit of units) unit.start()
  await Promise.all(units.map((unit) => unit.join()))
}

function table(rows: readonly Row[]): string {
  const base = rows[0]?.ms ?? 1
  const lines = [['mode', 'units', 'wall time', 'speedup']]
  for (const { mode, units, ms } of rows) {
    lines.push([mode, String(units), `${(ms / 1000).toFixed(2)} s`, `${(base / ms).toFixed(2)}x`])
  }
  const widths = lines[0]!.map((_, col) => Math.max(...lines.map((line) => line[col]!.length)))
  return lines.map((line) => line.map((cell, col) => cell.padEnd(widths[col]!)).join('   ').trimEnd()).join('\n')
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
  console.log(
    table([
      { mode: 'inline (one after another)', units: 1, ms: inline },
      { mode: 'threads (@conc/threading)', units: n, ms: threads },
      { mode: 'processes (@conc/multiprocessing)', units: n, ms: processes },
    ]),
  )
  console.log(
    '\nThreads and processes run the slices at the same time, one per CPU; inline runs them one after\n' +
      "another. (CPython's GIL keeps its threads from doing this for pure-Python code; Node's worker\n" +
      'threads each have their own isolate, so they can.) Wall times vary with what else the machine runs.',
  )
}
