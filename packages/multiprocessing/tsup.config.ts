import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.base.ts'

export default defineConfig(packageConfig({ index: 'src/index.ts', 'entry/child': 'src/entry/child.ts' }))
