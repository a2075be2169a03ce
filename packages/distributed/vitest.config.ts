import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@conc/distributed',
    include: ['test/**/*.test.ts'],
    globalSetup: ['@conc/testkit/global-setup', './test/setup/redis.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
