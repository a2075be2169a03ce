/**
 * What importing a backend package costs: `await import('@conc/threading')` (and
 * `@conc/multiprocessing`) timed on the first line of a fresh process, many fresh processes,
 * beside an empty package of the same shape (a `package.json` with `exports`, one file that
 * exports nothing), which is the floor Node itself sets.
 *
 *   node bench/lib/import-cost.mjs          # prints the table (BENCH_IMPORT_ROUNDS, default 40)
 *
 * Two modes:
 * - *first import*: the package is the first module the process imports after its entry. This
 *   includes the one-time warm-up of Node's package resolver (a few ms on the first bare
 *   specifier of a process), which any program pays once, for whatever it imports first.
 * - *after a package*: the process has imported another empty package first (untimed), so the
 *   resolver is warm; what remains is the cost of the package itself.
 *
 * Each package is also imported with `--conditions=conc-lazy`, the condition @conc gives the units
 * it starts (its lazy public module, which loads the library on first use; ARCHITECTURE.md, "How a
 * unit starts").
 *
 * Contenders run one process at a time, interleaved round-robin, each round starting one
 * contender later; the paired difference and ratio to the empty package are per round.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { median } from './report.mjs'

const run = promisify(execFile)
const PACKAGES = ['@conc/threading', '@conc/multiprocessing']
const EMPTY = 'conc-bench-empty'
const WARM = 'conc-bench-warm-up'

/** Where the packages are installed for the bench (workspace links), by real path. */
function packageDir(name) {
  return realpathSync(fileURLToPath(new URL(`../node_modules/${name}`, import.meta.url)))
}

/** A project with the probe, the empty package, and links to ours, like an installed app. */
function makeProject() {
  const dir = mkdtempSync(join(tmpdir(), 'conc-import-'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'import-cost', private: true, type: 'module' }))
  writeFileSync(join(dir, 'probe.mjs'), readFileSync(new URL('./import-probe.mjs', import.meta.url)))
  for (const name of [EMPTY, WARM]) {
    const empty = join(dir, 'node_modules', name)
    mkdirSync(empty, { recursive: true })
    writeFileSync(
      join(empty, 'package.json'),
      JSON.stringify({ name, type: 'module', exports: { '.': { types: './index.d.ts', default: './index.js' } } }),
    )
    writeFileSync(join(empty, 'index.js'), 'export {}\n')
  }
  for (const name of PACKAGES) {
    const link = join(dir, 'node_modules', name)
    mkdirSync(dirname(link), { recursive: true })
    symlinkSync(packageDir(name), link, 'dir')
  }
  return dir
}

async function sample(dir, specifier, warmUp, lazy) {
  const args = [...(lazy ? ['--conditions=conc-lazy'] : []), join(dir, 'probe.mjs'), specifier]
  if (warmUp) args.push(WARM)
  const { stdout } = await run(process.execPath, args, { cwd: dir })
  return JSON.parse(stdout.trim().split('\n').at(-1))
}

const r = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

/** Runs every contender `rounds` times (after `warmup` rounds), interleaved. */
export async function measureImports({ rounds = 40, warmup = 2 } = {}) {
  const dir = makeProject()
  try {
    const contenders = []
    for (const warmUp of [false, true]) {
      for (const specifier of [EMPTY, ...PACKAGES]) {
        contenders.push({ specifier, warmUp, lazy: false, label: specifier === EMPTY ? 'empty package' : specifier })
      }
      // What a unit @conc starts imports (the lazy public module, under the condition it sets).
      for (const specifier of PACKAGES) contenders.push({ specifier, warmUp, lazy: true, label: `${specifier}, --conditions=conc-lazy` })
    }
    const samples = contenders.map(() => [])
    const builtins = contenders.map(() => undefined)
    for (let round = 0; round < warmup + rounds; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const i = (round + k) % contenders.length
        const { specifier, warmUp, lazy } = contenders[i]
        const s = await sample(dir, specifier, warmUp, lazy)
        if (round >= warmup) samples[i].push(s.ms)
        builtins[i] ??= s.builtins
      }
    }
    return contenders.map((c, i) => {
      const baseline = contenders.findIndex((b) => b.warmUp === c.warmUp && b.specifier === EMPTY)
      const paired = samples[i].map((x, j) => x - samples[baseline][j])
      return {
        specifier: c.specifier,
        label: c.label,
        lazy: c.lazy,
        mode: c.warmUp ? 'after a package' : 'first import',
        n: samples[i].length,
        median: r(median(samples[i])),
        p25: r(quantile(samples[i], 0.25)),
        p75: r(quantile(samples[i], 0.75)),
        min: r(Math.min(...samples[i])),
        max: r(Math.max(...samples[i])),
        overEmptyMedian: r(median(paired)),
        builtinsLoaded: builtins[i].filter((m) => !m.startsWith('internal/')),
        builtinsLoadedCount: builtins[i].length,
        samples: samples[i].map((x) => r(x, 3)),
      }
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The markdown table of {@link measureImports}'s results. */
export function formatImports(results, goalMs = 5) {
  const lines = [
    '| import | mode | median ms | IQR ms | over the empty package, paired median ms | public built-ins loaded | under 5 ms |',
    '| --- | --- | ---: | ---: | ---: | --- | :---: |',
  ]
  for (const x of results) {
    const ours = x.specifier !== EMPTY
    lines.push(
      `| ${ours ? `\`${x.specifier}\`${x.lazy ? ' (lazy module: `--conditions=conc-lazy`, as in a unit)' : ''}` : x.label} | ${x.mode} | ${x.median.toFixed(2)} | ${x.p25.toFixed(2)}–${x.p75.toFixed(2)} | ` +
        `${ours ? x.overEmptyMedian.toFixed(2) : ''} | ${x.builtinsLoaded.join(', ') || 'none'} (${x.builtinsLoadedCount} in all) | ` +
        `${ours ? (x.median < goalMs ? 'yes' : '**no**') : ''} |`,
    )
  }
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await measureImports({ rounds: Number(process.env.BENCH_IMPORT_ROUNDS ?? 40) })
  console.log(formatImports(results))
}
