/**
 * Regroups the chunks tsup's code splitting leaves in `dist/` into a few files, by who loads them
 * (issue 8 §4). esbuild splits the shared code of our entries into one chunk per set of entries
 * and dynamic imports that reach it: about twenty files, most of them small, and importing a
 * backend package loaded all of them. Each file costs Node a resolution, a read, a module record
 * and its linking; grouping them about halved the CPU time of importing a backend package
 * (bench/README.md, "Where the time goes").
 * Here rollup re-chunks tsup's output (the JavaScript only; the declarations are untouched):
 *
 * - `unit.js`: the unit runtime (`@conc/core/unit`) with what it loads, what `timer-unit.js`
 *   loads, and the lazy public module's light exports (`light.js`, see `scripts/lazy-facade.mjs`),
 *   the small side: one file, the entry itself, since every unit loads it;
 * - `pool-runtime-*.js`: what the pool worker service loads besides (`executor/pool-worker.js`);
 * - `main-*.js`: what the other entries (the public `index.js`, `engine.js`) load besides;
 * - anything only imported dynamically stays its own chunk, loaded on first use.
 *
 * No group imports a later one, so there are no cycles, and every chunk stays in `dist/` beside
 * `index.js` (code that resolves files from `import.meta.url` sees the same directory).
 *
 * Run by `tsup.config.ts` after each build, with the names of tsup's entries.
 */
import { readdirSync, renameSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { rollup } from 'rollup'

/** Entries whose static imports form a group (first match wins); every other entry is in `main`. */
const GROUPS = [
  { name: 'unit', entries: ['unit', 'timer-unit', 'light'] },
  { name: 'pool-runtime', entries: ['executor/pool-worker'] },
  { name: 'main', entries: [] },
]

/** Rewrites the JavaScript of `dist` in place; `entries` are the names of tsup's entries. */
export async function mergeChunks(dist, entries) {
  dist = resolve(dist)
  const input = Object.fromEntries(entries.map((name) => [name, join(dist, `${name}.js`)]))
  const groupOf = (entry) => GROUPS.find((g) => g.entries.includes(entry)) ?? GROUPS.at(-1)
  const entryFiles = new Set(Object.values(input))
  let reach
  // `unit` (what @conc/core/unit resolves to, in every unit) is its group's chunk itself, not a
  // facade importing it: one file fewer for every unit to load. Its chunk may then export more
  // than the entry's names (the internal ones its group's other importers use).
  const { unit: unitEntryFile, ...rest } = input
  const bundle = await rollup({
    input: rest,
    plugins: [
      {
        name: 'unit-entry',
        buildStart() {
          this.emitFile({ type: 'chunk', id: unitEntryFile, name: 'unit', preserveSignature: 'allow-extension' })
        },
      },
    ],
    // Node built-ins (tsup writes them bare: "os", "path") and packages stay imports.
    external: (id) => !id.startsWith('.') && !id.startsWith('/'),
    preserveEntrySignatures: 'strict',
    // tsup's output is already what the sources export; keep every statement as it is.
    treeshake: false,
    onwarn(warning) {
      // A name or file tsup's output refers to and rollup cannot find would break the package.
      if (warning.code === 'MISSING_EXPORT' || warning.code === 'UNRESOLVED_IMPORT') throw new Error(`merge-chunks: ${warning.message}`)
      console.warn(`merge-chunks: ${warning.message}`)
    },
  })
  const out = join(dist, '.merged')
  rmSync(out, { recursive: true, force: true })
  await bundle.write({
    dir: out,
    format: 'es',
    entryFileNames: '[name].js',
    // tsup's chunk names already end in a hash; ours get one.
    chunkFileNames: (chunk) => (chunk.name === 'unit' ? 'unit.js' : GROUPS.some((g) => g.name === chunk.name) ? '[name]-[hash].js' : '[name].js'),
    manualChunks(id, { getModuleInfo }) {
      if (id === unitEntryFile) return 'unit'
      if (entryFiles.has(id)) return undefined
      reach ??= staticReach(input, getModuleInfo)
      return GROUPS.find((g) => entries.some((entry) => groupOf(entry) === g && reach.get(entry).has(id)))?.name
    },
  })
  await bundle.close()
  // Replace tsup's JavaScript (not the declarations) with rollup's.
  for (const file of readdirSync(dist, { recursive: true })) {
    if (String(file).endsWith('.js') && !String(file).startsWith('.merged')) rmSync(join(dist, String(file)))
  }
  for (const file of readdirSync(out, { recursive: true })) {
    if (String(file).endsWith('.js')) renameSync(join(out, String(file)), join(dist, String(file)))
  }
  rmSync(out, { recursive: true, force: true })
}

/** For each entry, the modules its static imports reach. */
function staticReach(input, getModuleInfo) {
  const reach = new Map()
  for (const [name, file] of Object.entries(input)) {
    const seen = new Set()
    const visit = (id) => {
      if (seen.has(id)) return
      seen.add(id)
      for (const next of getModuleInfo(id)?.importedIds ?? []) visit(next)
    }
    visit(file)
    reach.set(name, seen)
  }
  return reach
}

