import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', unit: 'src/unit.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
})
