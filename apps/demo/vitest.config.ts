import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The tests run the built demo, which starts threads and processes and times real work.
    testTimeout: 60_000,
  },
})
