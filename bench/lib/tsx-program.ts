/**
 * The tsx comparison's program (bench/lib/tsx-cost.mjs), in TypeScript: a course-style module that
 * imports both backend packages and starts `n` threads and `n` processes of a no-op target, one at
 * a time, printing each `start()` + `join()` in ms. `tsx-program.mjs` is the same program compiled.
 */
import { Process } from '@conc/multiprocessing'
import { Thread, isMain } from '@conc/threading'

export function noop(): void {}

async function time(unit: { start(): void; join(): Promise<void> }): Promise<number> {
  const t0 = performance.now()
  unit.start()
  await unit.join()
  return performance.now() - t0
}

if (isMain(import.meta)) {
  const n = Number(process.argv[2] ?? 3)
  const thread: number[] = []
  const proc: number[] = []
  for (let i = 0; i < n; i++) {
    thread.push(await time(new Thread({ target: noop })))
    proc.push(await time(new Process({ target: noop })))
  }
  console.log(JSON.stringify({ thread, process: proc }))
}
