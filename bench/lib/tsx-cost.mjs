/**
 * What running a program with tsx costs its units: `tsx-program.ts` run by `node --import tsx`
 * against the same program compiled (`tsx-program.mjs`) run by plain `node`. Each run starts `n`
 * threads and `n` processes of a no-op target one at a time and prints each `start()` + `join()`;
 * the runs alternate (which goes first alternates too), and ratios are paired per round.
 *
 *   node bench/lib/tsx-cost.mjs          # prints the table (BENCH_TSX_ROUNDS, default 6)
 *
 * tsx is the demo's (`apps/demo` depends on it); the bench has no dependency of its own on it.
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { median } from './report.mjs'

const run = promisify(execFile)
const UNITS_PER_RUN = 3

function tsxLoader() {
  const require = createRequire(new URL('../../apps/demo/package.json', import.meta.url))
  return pathToFileURL(require.resolve('tsx')).href
}

async function once(withTsx) {
  const file = fileURLToPath(new URL(withTsx ? './tsx-program.ts' : './tsx-program.mjs', import.meta.url))
  const args = [...(withTsx ? ['--import', tsxLoader()] : []), file, String(UNITS_PER_RUN)]
  const t0 = performance.now()
  const { stdout } = await run(process.execPath, args, { cwd: fileURLToPath(new URL('.', import.meta.url)) })
  const wall = performance.now() - t0
  return { wall, ...JSON.parse(stdout.trim().split('\n').at(-1)) }
}

const r = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits

/** Runs both `rounds` times (after one warm-up round, which also fills tsx's cache). */
export async function measureTsx({ rounds = 6 } = {}) {
  const runs = { tsx: [], node: [] }
  for (let round = 0; round < rounds + 1; round++) {
    const order = round % 2 === 0 ? [true, false] : [false, true]
    const got = {}
    for (const withTsx of order) got[withTsx ? 'tsx' : 'node'] = await once(withTsx)
    if (round > 0) {
      runs.tsx.push(got.tsx)
      runs.node.push(got.node)
    }
  }
  const row = (what, pick) => {
    const tsx = runs.tsx.map(pick)
    const node = runs.node.map(pick)
    return { what, tsxMedian: r(median(tsx)), nodeMedian: r(median(node)), pairedRatio: r(median(tsx.map((x, i) => x / node[i])), 3) }
  }
  // Each run's units: the median of its n units, paired with the other run of the same round.
  return {
    rounds,
    unitsPerRun: UNITS_PER_RUN,
    rows: [
      row(`the whole program (${UNITS_PER_RUN} threads and ${UNITS_PER_RUN} processes, one at a time)`, (x) => x.wall),
      row('one `Thread`: `start()` + `join()`', (x) => median(x.thread)),
      row('one `Process`: `start()` + `join()`', (x) => median(x.process)),
    ],
  }
}

export function formatTsx(result) {
  const lines = ['| what | compiled, `node` (median ms) | `node --import tsx` (median ms) | paired ratio |', '| --- | ---: | ---: | ---: |']
  for (const x of result.rows) lines.push(`| ${x.what} | ${x.nodeMedian.toFixed(1)} | ${x.tsxMedian.toFixed(1)} | ${x.pairedRatio.toFixed(2)}× |`)
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatTsx(await measureTsx({ rounds: Number(process.env.BENCH_TSX_ROUNDS ?? 6) })))
}
