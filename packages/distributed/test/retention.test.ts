/**
 * Finished jobs: a task's job, with its result, stays in Redis for `resultRetention` seconds (a
 * client that missed the result's event reads it back from there), and BullMQ removes it once
 * older, as it finishes later jobs; the client sends no removal of its own per task.
 */
import { describe, expect, it } from 'vitest'
import { ProcessPoolExecutor, ValueError } from '../dist/index.js'
import { clusterSuite } from './harness/suite.js'
import { skipped } from './setup/skip.js'

describe.skipIf(skipped)('finished jobs', () => {
  const s = clusterSuite({ hosts: 1, host: { concurrency: 2 } })

  it('stay in Redis with their results for resultRetention seconds, then are removed as later jobs finish', async () => {
    const ex = s.executor({ resultRetention: 2 })
    expect(await Promise.all([ex.submit(s.t.square, 3), ex.submit(s.t.failWith, 'no luck', 1).exception()])).toMatchObject([9, { message: 'no luck' }])
    const first = await s.jobs()
    expect(first.size).toBe(2)
    for (const [key, finished] of first) {
      expect(finished).not.toBeNull()
      // The result (or error) is there to read back.
      expect(await s.redis.hget(key, 'returnvalue')).toMatch(/"(ok|err)":/)
    }
    await new Promise((resolve) => setTimeout(resolve, 2500))
    // A later job's completion removes the ones older than resultRetention.
    expect(await ex.submit(s.t.square, 4)).toBe(16)
    const later = await s.jobs()
    for (const key of first.keys()) expect(later.has(key)).toBe(false)
    expect(later.size).toBe(1)
  })

  it('resultRetention is checked like the other options', () => {
    expect(() => new ProcessPoolExecutor({ ...s.c.clientOptions, resultRetention: 0 })).toThrow(ValueError)
    expect(() => new ProcessPoolExecutor({ ...s.c.clientOptions, resultRetention: 1.5 })).toThrow(/resultRetention must be an integer > 0, got 1.5/)
    expect(() => new ProcessPoolExecutor({ ...s.c.clientOptions, resultRetention: '60' as never })).toThrow(TypeError)
  })
})
