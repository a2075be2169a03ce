import type { Options } from 'tsup'
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { writeFacade } from './scripts/lazy-facade.mjs'
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { inlineEntries } from './scripts/inline-entries.mjs'

/**
 * The build every @conc package shares: ESM for Node 20, public types from `src/index.ts` only,
 * entry files (`src/entry/*`, started by file path at run time) as their own outputs.
 */
export function packageConfig(entry: Record<string, string>, dtsEntries: Record<string, string> = { index: 'src/index.ts' }): Options {
  return {
    entry,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    dts: { entry: dtsEntries },
    // No source maps: the published JavaScript is readable as it is, and maps would point to
    // sources the tarballs do not ship.
    sourcemap: false,
    clean: true,
    splitting: true,
  }
}

/**
 * A backend package's build: {@link packageConfig}; then each entry file as one file, with what it
 * imports from its own package folded in (scripts/inline-entries.mjs); then dist/lazy.js, the
 * public module under the `conc-lazy` condition, whose stand-ins load dist/index.js on first use
 * and whose re-exports of core come from core's own lazy module (scripts/lazy-facade.mjs).
 */
export function backendConfig(entry: Record<string, string>): Options {
  return {
    ...packageConfig(entry),
    onSuccess: async () => {
      await inlineEntries('dist')
      writeFacade({ dist: 'dist', reexportsFrom: '@conc/core' })
    },
  }
}
