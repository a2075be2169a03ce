import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@conc/threading',
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
    globalSetup: ['@conc/testkit/global-setup'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
