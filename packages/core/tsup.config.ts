import { writeFileSync } from 'node:fs'
import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.base.ts'
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { mergeChunks } from './scripts/merge-chunks.mjs'
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { writeFacade } from '../../scripts/lazy-facade.mjs'

// Declarations of the public entries. Besides dist/index.js, the build writes dist/lazy.js, the
// public module under the `conc-lazy` condition: dist/light.js's exports (src/light.ts) and
// stand-ins that load dist/index.js on first use (../../scripts/lazy-facade.mjs).
const entries = { index: 'src/index.ts', unit: 'src/unit.ts', engine: 'src/engine.ts' }
// The pool worker service is started by URL from inside units, like a backend's entry file.
const built = {
  index: 'src/index.ts',
  light: 'src/light.ts',
  unit: 'src/unit.ts',
  engine: 'src/engine.ts',
  'executor/pool-worker': 'src/executor/pool-worker.ts',
  'timer-unit': 'src/timer-unit.ts',
}

export default defineConfig({
  ...packageConfig(built, entries),
  // Few files instead of tsup's twenty chunks: each file a module loads costs (scripts/merge-chunks.mjs).
  onSuccess: async () => {
    await mergeChunks('dist', Object.keys(built))
    writeFacade({ dist: 'dist', light: './light.js' })
    // What internal/unit-conditions.ts require()s to learn whether require() is Node's own.
    writeFileSync('dist/esm-probe.js', '// An empty ES module: internal/unit-conditions.ts checks that require() returns its namespace.\nexport {}\n')
  },
})
