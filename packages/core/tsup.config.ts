import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.base.ts'
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { mergeChunks } from './scripts/merge-chunks.mjs'

const entries = { index: 'src/index.ts', unit: 'src/unit.ts', engine: 'src/engine.ts' }
// The pool worker service is started by URL from inside units, like a backend's entry file.
const built = { ...entries, 'executor/pool-worker': 'src/executor/pool-worker.ts', 'timer-unit': 'src/timer-unit.ts' }

export default defineConfig({
  ...packageConfig(built, entries),
  // Few files instead of tsup's twenty chunks: each file a module loads costs (scripts/merge-chunks.mjs).
  onSuccess: () => mergeChunks('dist', Object.keys(built)),
})
