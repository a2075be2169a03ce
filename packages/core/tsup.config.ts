import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.base.ts'

const entries = { index: 'src/index.ts', unit: 'src/unit.ts' }

export default defineConfig(packageConfig(entries, entries))
