/**
 * tsx-program.ts compiled (the types removed by hand): the same program, run by plain `node`.
 */
import { Process } from '@conc/multiprocessing'
import { Thread, isMain } from '@conc/threading'

export function noop() {}

async function time(unit) {
  const t0 = performance.now()
  unit.start()
  await unit.join()
  return performance.now() - t0
}

if (isMain(import.meta)) {
  const n = Number(process.argv[2] ?? 3)
  const thread = []
  const proc = []
  for (let i = 0; i < n; i++) {
    thread.push(await time(new Thread({ target: noop })))
    proc.push(await time(new Process({ target: noop })))
  }
  console.log(JSON.stringify({ thread, process: proc }))
}
