import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.base.ts'
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { writeFacade } from '../../scripts/lazy-facade.mjs'

// Besides dist/index.js, the build writes dist/lazy.js, the public module under the `conc-lazy`
// condition: stand-ins that load dist/index.js on first use (../../scripts/lazy-facade.mjs).
export default defineConfig({
  ...packageConfig({ index: 'src/index.ts', 'entry/child': 'src/entry/child.ts' }),
  onSuccess: async () => {
    writeFacade({ dist: 'dist', reexportsFrom: '@conc/core' })
  },
})
