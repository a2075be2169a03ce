import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.base.ts'

// task-runner is imported by URL inside the worker hosts' local units; cli/worker is the bin.
export default defineConfig(packageConfig({ index: 'src/index.ts', 'task-runner': 'src/task-runner.ts', 'cli/worker': 'src/cli/worker.ts' }))
