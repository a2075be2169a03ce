import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.base.ts'

export default defineConfig(packageConfig({ index: 'src/index.ts', 'entry/worker': 'src/entry/worker.ts' }))
