import { defineConfig } from 'tsup'

// Not bundled: each source module stays its own file in dist/, so "the module that starts the
// runner" at run time is the module it is in the sources, and a target exported there is found
// by reference in the worker thread or child process.
export default defineConfig({
  entry: ['src/**/*.ts'],
  bundle: false,
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
})
