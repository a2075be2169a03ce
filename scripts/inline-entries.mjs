/**
 * Folds the files a backend's entry files import from their own package (tsup's shared chunks:
 * the wake word's name, the JSON wire codec) into each entry, so that a unit loads its entry as
 * one file (issue 8 §4: every file a unit loads costs it a resolution, a read and a module
 * record). What they fold in is stateless, so a copy in the entry and one in the package's main
 * module behave alike. Imports of other packages and of Node's built-ins stay imports.
 *
 * Run by the backends' build (`tsup.base.ts`, `backendConfig`) after tsup.
 */
import { readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { rollup } from 'rollup'

/** Rewrites each `dist/entry/*.js` as one file. */
export async function inlineEntries(dist) {
  const dir = join(resolve(dist), 'entry')
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.js'))) {
    const file = join(dir, name)
    const bundle = await rollup({
      input: file,
      external: (id) => !id.startsWith('.') && !id.startsWith('/'),
      treeshake: false,
      onwarn(warning) {
        if (warning.code === 'MISSING_EXPORT' || warning.code === 'UNRESOLVED_IMPORT') throw new Error(`inline-entries: ${warning.message}`)
        console.warn(`inline-entries: ${warning.message}`)
      },
    })
    const { output } = await bundle.generate({ format: 'es', inlineDynamicImports: true })
    await bundle.close()
    const [chunk, ...more] = output
    if (chunk === undefined || chunk.type !== 'chunk' || more.length > 0) throw new Error(`inline-entries: ${file} did not become one file`)
    writeFileSync(file, chunk.code)
  }
}
