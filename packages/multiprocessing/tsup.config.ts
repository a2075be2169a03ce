import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', 'entry/child': 'src/entry/child.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
})
