import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@conc/core',
    include: ['test/**/*.test.ts'],
  },
})
