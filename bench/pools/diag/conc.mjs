/**
 * @conc for a diagnosis that drives its API directly: the backend of `kind` ('thread' or
 * 'process'), as built here, or in another checkout with `CONC_DIST=<checkout>` (its packages'
 * dist, for an A/B run alternately with this one); `inc` from ../tasks.mjs, and an executor and a
 * pool of 2 workers each.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export async function openConc(kind) {
  const pkg = kind === 'thread' ? 'threading' : 'multiprocessing'
  const lib = process.env.CONC_DIST
    ? await import(pathToFileURL(join(process.env.CONC_DIST, 'packages', pkg, 'dist/index.js')).href)
    : await import(`@conc/${pkg}`)
  const tasks = new URL('../tasks.mjs', import.meta.url)
  const inc = lib.fromModule((await import(tasks.href)).inc, tasks)
  const executor = new (lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor)({ maxWorkers: 2 })
  const pool = new (lib.ThreadPool ?? lib.Pool)({ processes: 2 })
  return { inc, executor, pool }
}
