import type { Options } from 'tsup'

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
