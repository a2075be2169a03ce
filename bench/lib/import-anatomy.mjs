/**
 * Where the time of importing a backend package goes: the files it loads (and their size), the
 * Node built-ins it loads, and how much of the time is V8 compiling the files' source.
 *
 *   node bench/lib/import-anatomy.mjs [specifier...]   # default: both backend packages
 *
 * The graph is read from the import statements of the built files (static imports only: a
 * dynamic import is loaded on first use). Each sample runs in a fresh process with
 * `--experimental-vm-modules`, which makes `vm.SourceTextModule` available: the files are compiled
 * there one by one (the work V8 does when Node loads them, with nothing else), then the package
 * is imported for real. Medians of BENCH_ANATOMY_ROUNDS (default 15) fresh processes.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { median } from './report.mjs'

const run = promisify(execFile)
const STATIC_IMPORT = /(?:^|[;\n}])\s*(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?["']([^"']+)["']/g

/** The files a module loads statically, itself first, depth first; built-ins apart. */
export function graph(entryUrl) {
  const files = []
  const builtins = new Set()
  const seen = new Set()
  const visit = (url) => {
    if (seen.has(url)) return
    seen.add(url)
    const source = readFileSync(fileURLToPath(url), 'utf8')
    files.push({ url, bytes: Buffer.byteLength(source) })
    for (const [, specifier] of source.matchAll(STATIC_IMPORT)) {
      if (specifier.startsWith('node:') || builtinModules.includes(specifier)) builtins.add(specifier.replace(/^node:/, ''))
      else if (specifier.startsWith('.')) visit(new URL(specifier, url).href)
      // A package: its `exports` map "default" to the same file for import and require.
      else visit(pathToFileURL(createRequire(url).resolve(specifier)).href)
    }
  }
  visit(entryUrl)
  return { files, builtins: [...builtins] }
}

/** One fresh process: compile every file of the graph (untimed order: as listed), then import. */
const PROBE = `
import vm from 'node:vm'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
const [entry, files] = JSON.parse(process.argv[1])
const sources = files.map((url) => readFileSync(fileURLToPath(url), 'utf8'))
const t0 = process.hrtime.bigint()
for (let i = 0; i < files.length; i++) new vm.SourceTextModule(sources[i] + '\\n//' + i, { identifier: files[i] + '?probe' })
const t1 = process.hrtime.bigint()
await import(entry)
const t2 = process.hrtime.bigint()
console.log(JSON.stringify({ compile: Number(t1 - t0) / 1e6, importAfter: Number(t2 - t1) / 1e6 }))
`

const IMPORT_ONLY = `
const t0 = process.hrtime.bigint()
await import(process.argv[1])
console.log(JSON.stringify({ import: Number(process.hrtime.bigint() - t0) / 1e6 }))
`

const r = (x) => Math.round(x * 100) / 100

/** Anatomy of importing `specifier` (resolved from this directory). */
export async function anatomy(specifier, rounds = 15) {
  const entry = import.meta.resolve(specifier)
  const { files, builtins } = graph(entry)
  const compile = []
  const alone = []
  for (let i = 0; i < rounds; i++) {
    // The compile-only probe and the plain import, alternately, each in a fresh process.
    const a = await run(process.execPath, ['--no-warnings', '--experimental-vm-modules', '--input-type=module', '-e', PROBE, JSON.stringify([entry, files.map((f) => f.url)])])
    compile.push(JSON.parse(a.stdout).compile)
    const b = await run(process.execPath, ['--input-type=module', '-e', IMPORT_ONLY, entry])
    alone.push(JSON.parse(b.stdout).import)
  }
  return {
    specifier,
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    staticBuiltins: builtins,
    compileMs: r(median(compile)),
    importMs: r(median(alone)),
    fileList: files.map((f) => ({ file: fileURLToPath(f.url).replace(/.*\/packages\//, 'packages/'), bytes: f.bytes })),
  }
}

export function formatAnatomy(rows) {
  const lines = [
    '| import | files | bytes of JS | static imports of built-ins | compiling the files alone, ms | the import (by file URL), ms |',
    '| --- | ---: | ---: | --- | ---: | ---: |',
  ]
  for (const x of rows) {
    lines.push(
      `| \`${x.specifier}\` | ${x.files} | ${(x.bytes / 1024).toFixed(1)} KiB | ${x.staticBuiltins.join(', ') || 'none'} | ` +
        `${x.compileMs.toFixed(2)} | ${x.importMs.toFixed(2)} |`,
    )
  }
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const specifiers = process.argv.slice(2)
  const rows = []
  for (const s of specifiers.length > 0 ? specifiers : ['@conc/threading', '@conc/multiprocessing']) {
    rows.push(await anatomy(s, Number(process.env.BENCH_ANATOMY_ROUNDS ?? 15)))
  }
  console.log(formatAnatomy(rows))
  for (const x of rows) console.log(`\n${x.specifier}: ${x.fileList.map((f) => `${f.file} (${f.bytes})`).join(', ')}`)
}
