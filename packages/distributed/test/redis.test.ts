/**
 * Redis restarted (empty: the test's Redis persists nothing) or gone: futures complete after the
 * reconnection (lost jobs are added again: at least once), or fail with a clear error once Redis
 * has been unreachable for `redisTimeout` seconds; none hangs, none settles twice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BrokenProcessPool, ProcessPoolExecutor, type Future } from '../dist/index.js'
import { Cluster } from './harness/index.js'
import { type Tasks, loadTasks } from './harness/tasks.js'
import { skipped } from './setup/skip.js'

let t: Tasks
const clusters: Cluster[] = []
const open: ProcessPoolExecutor[] = []

function counted(futures: readonly Future<unknown>[]): () => number[] {
  const counts = futures.map(() => 0)
  futures.forEach((f, i) => f.addDoneCallback(() => (counts[i] = (counts[i] ?? 0) + 1)))
  return () => counts
}

describe.skipIf(skipped)('Redis restarted or gone', () => {
  beforeAll(async () => {
    t = await loadTasks()
  })
  afterEach(async () => {
    for (const ex of open.splice(0)) await ex.shutdown({ wait: false, cancelFutures: true })
    for (const c of clusters.splice(0)) await c.close()
  })

  it('Redis restarted mid-run: every future completes after the reconnection, once, with its value', async () => {
    const c = await Cluster.start({ hosts: 2, host: { concurrency: 2 } })
    clusters.push(c)
    const ex = new ProcessPoolExecutor({ ...c.clientOptions, redisTimeout: 60 })
    open.push(ex)
    const futures = Array.from({ length: 120 }, (_, i) => ex.submit(t.sleep, 0.05 + (i % 3) * 0.01).then(() => i))
    const tracked = Array.from({ length: 60 }, (_, i) => ex.submit(t.identity, i))
    const counts = counted(tracked)
    // Some tasks done, most still queued or running.
    await Promise.all(futures.slice(0, 10))
    await c.redis.restart()
    expect(await Promise.all(futures)).toEqual(Array.from({ length: 120 }, (_, i) => i))
    expect(await Promise.all(tracked)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(counts().every((n) => n === 1)).toBe(true)
    // The executor goes on.
    expect(await ex.submit(t.square, 9)).toBe(81)
  })

  it('Redis gone: pending futures fail with a clear error after redisTimeout, and the executor is broken', async () => {
    const c = await Cluster.start({ hosts: 1, host: { concurrency: 1 } })
    clusters.push(c)
    const ex = new ProcessPoolExecutor({ ...c.clientOptions, redisTimeout: 2 })
    open.push(ex)
    expect(await ex.submit(t.square, 3)).toBe(9)
    const futures = Array.from({ length: 5 }, () => ex.submit(t.sleep, 30))
    const counts = counted(futures)
    await new Promise((resolve) => setTimeout(resolve, 300))
    await c.redis.stop()
    const start = performance.now()
    const errors = await Promise.all(futures.map((f) => f.exception(30)))
    const seconds = (performance.now() - start) / 1000
    for (const error of errors) {
      expect(error).toBeInstanceOf(BrokenProcessPool)
      expect((error as Error).message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/? has been unreachable for 2 seconds/)
    }
    expect(seconds).toBeGreaterThanOrEqual(1.5)
    expect(seconds).toBeLessThan(10)
    expect(() => ex.submit(t.square, 1)).toThrow(BrokenProcessPool)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(counts().every((n) => n === 1)).toBe(true)
    // Closing does not hang without Redis.
    const closing = performance.now()
    await ex.shutdown()
    expect((performance.now() - closing) / 1000).toBeLessThan(10)
  })
})
