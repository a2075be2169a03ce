/**
 * Finished jobs: a task's job, with its result, stays in Redis for `resultRetention` seconds (a
 * client that missed the result's event reads it back from there), and BullMQ removes it once
 * older, as it finishes later jobs; the client sends no removal of its own per task.
 */
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ProcessPoolExecutor, ValueError } from '../dist/index.js'
import { Cluster } from './harness/index.js'
import { type Tasks, loadTasks } from './harness/tasks.js'
import { skipped } from './setup/skip.js'

let t: Tasks
let c: Cluster
let redis: Redis
const open: ProcessPoolExecutor[] = []

/** The ids of this queue's @conc jobs, with the time each finished (null: not finished). */
async function jobs(queue: string): Promise<Map<string, string | null>> {
  const keys = (await redis.keys(`bull:${queue}:*`)).filter((k) => /:c[\w-]+\.\w+$/.test(k))
  const finished = await Promise.all(keys.map((k) => redis.hget(k, 'finishedOn')))
  return new Map(keys.map((k, i) => [k, finished[i] ?? null]))
}

describe.skipIf(skipped)('finished jobs', () => {
  beforeAll(async () => {
    t = await loadTasks()
    c = await Cluster.start({ hosts: 1, host: { concurrency: 2 } })
    redis = new Redis(c.connection)
  })
  afterEach(async () => {
    for (const ex of open.splice(0)) await ex.shutdown({ wait: false, cancelFutures: true })
  })
  afterAll(async () => {
    redis?.disconnect()
    await c?.close()
  })

  it('stay in Redis with their results for resultRetention seconds, then are removed as later jobs finish', async () => {
    const ex = new ProcessPoolExecutor({ ...c.clientOptions, resultRetention: 2 })
    open.push(ex)
    expect(await Promise.all([ex.submit(t.square, 3), ex.submit(t.failWith, 'no luck', 1).exception()])).toMatchObject([9, { message: 'no luck' }])
    const first = await jobs(c.queue)
    expect(first.size).toBe(2)
    for (const [key, finished] of first) {
      expect(finished).not.toBeNull()
      // The result (or error) is there to read back.
      expect(await redis.hget(key, 'returnvalue')).toMatch(/"(ok|err)":/)
    }
    await new Promise((resolve) => setTimeout(resolve, 2500))
    // A later job's completion removes the ones older than resultRetention.
    expect(await ex.submit(t.square, 4)).toBe(16)
    const later = await jobs(c.queue)
    for (const key of first.keys()) expect(later.has(key)).toBe(false)
    expect(later.size).toBe(1)
  })

  it('resultRetention is checked like the other options', () => {
    expect(() => new ProcessPoolExecutor({ ...c.clientOptions, resultRetention: 0 })).toThrow(ValueError)
    expect(() => new ProcessPoolExecutor({ ...c.clientOptions, resultRetention: 1.5 })).toThrow(/resultRetention must be an integer > 0, got 1.5/)
    expect(() => new ProcessPoolExecutor({ ...c.clientOptions, resultRetention: '60' as never })).toThrow(TypeError)
  })
})
