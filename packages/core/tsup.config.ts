import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.base.ts'

const entries = { index: 'src/index.ts', unit: 'src/unit.ts', engine: 'src/engine.ts' }
// The pool worker service is started by URL from inside units, like a backend's entry file.
const built = { ...entries, 'executor/pool-worker': 'src/executor/pool-worker.ts', 'timer-unit': 'src/timer-unit.ts' }

export default defineConfig(packageConfig(built, entries))
