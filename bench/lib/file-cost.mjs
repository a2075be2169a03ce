/**
 * What a file costs an import, apart from its size: 20 one-line modules re-exported by a 21st,
 * against one module with the same 20 lines, each imported on the first line of a fresh process,
 * interleaved; medians of the CPU time (user + system) of the import, which a loaded machine
 * disturbs less than wall time. This is why core's build regroups its chunks
 * (packages/core/scripts/merge-chunks.mjs).
 *
 *   node bench/lib/file-cost.mjs          # BENCH_FILE_ROUNDS (default 21)
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { median } from './report.mjs'

const PROBE = `
const c0 = process.cpuUsage()
await import(process.argv[1])
const c = process.cpuUsage(c0)
console.log((c.user + c.system) / 1000)
`

export function measureFileCost(rounds = 21, files = 20) {
  const dir = mkdtempSync(join(tmpdir(), 'conc-file-cost-'))
  try {
    const lines = Array.from({ length: files }, (_, i) => `export const x${i} = ${i}\n`)
    lines.forEach((line, i) => writeFileSync(join(dir, `f${i}.mjs`), line))
    writeFileSync(join(dir, 'many.mjs'), lines.map((_, i) => `export * from './f${i}.mjs'\n`).join(''))
    writeFileSync(join(dir, 'one.mjs'), lines.join(''))
    const contenders = { one: join(dir, 'one.mjs'), many: join(dir, 'many.mjs') }
    const cpu = { one: [], many: [] }
    const names = Object.keys(contenders)
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + r) % names.length]
        const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE, pathToFileURL(contenders[name]).href])
        cpu[name].push(Number(out))
      }
    }
    return { files, rounds, one: median(cpu.one), many: median(cpu.many), perFile: (median(cpu.many) - median(cpu.one)) / files }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = measureFileCost(Number(process.env.BENCH_FILE_ROUNDS ?? 21))
  const f = (x) => x.toFixed(2)
  console.log(`import CPU, median of ${r.rounds} fresh processes: one module ${f(r.one)} ms; ${r.files + 1} modules ${f(r.many)} ms; ${f(r.perFile)} ms a file (load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' / ')})`)
}
