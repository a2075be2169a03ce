import { defineConfig } from 'tsup'
import { backendConfig } from '../../tsup.base.ts'

// Besides dist/index.js, the build writes dist/lazy.js (the `conc-lazy` condition): see backendConfig.
export default defineConfig(backendConfig({ index: 'src/index.ts', 'entry/child': 'src/entry/child.ts' }))
