/**
 * `map`/`imap` over a huge or endless input submit in a bounded window: the input is read as
 * results are consumed, and no more than `maxInFlight` of the client's tasks are queued or running
 * at once.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Pool, ProcessPoolExecutor } from '../dist/index.js'
import { Cluster } from './harness/index.js'
import { type Tasks, loadTasks } from './harness/tasks.js'
import { skipped } from './setup/skip.js'

let t: Tasks
let c: Cluster
let redis: Redis

/** The most jobs of the queue seen waiting or running at once, sampled every 5 ms while `work` runs. */
async function peakJobs(work: () => Promise<void>): Promise<number> {
  let peak = 0
  let running = true
  const sampler = (async () => {
    while (running) {
      // One transaction: a job moving from waiting to running is not counted twice.
      const replies = (await redis.multi().llen(`bull:${c.queue}:wait`).llen(`bull:${c.queue}:active`).exec()) ?? []
      peak = Math.max(peak, replies.reduce((sum, [, n]) => sum + (n as number), 0))
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  try {
    await work()
  } finally {
    running = false
    await sampler
  }
  return peak
}

describe.skipIf(skipped)('a bounded submission window', () => {
  beforeAll(async () => {
    t = await loadTasks()
    c = await Cluster.start({ hosts: 1, host: { concurrency: 2 } })
    redis = new Redis(c.connection)
  })
  afterAll(async () => {
    redis?.disconnect()
    await c?.close()
  })

  it('imap over an endless input reads it as results come, keeps at most maxInFlight jobs queued or running, and closes it on break', async () => {
    const pool = new Pool({ ...c.clientOptions, maxInFlight: 20 })
    let read = 0
    let closed = false
    function* naturals(): Generator<number> {
      try {
        for (;;) yield read++
      } finally {
        closed = true
      }
    }
    const seen: number[] = []
    const peak = await peakJobs(async () => {
      for await (const y of pool.imap(t.square, naturals())) {
        seen.push(y)
        if (seen.length === 300) break
      }
    })
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i * i))
    expect(read).toBeLessThanOrEqual(300 + 20)
    expect(closed).toBe(true)
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThanOrEqual(20)
    pool.terminate()
    await pool.join()
  })

  it('executor.map and Pool.map over a large input keep at most maxInFlight jobs queued or running and give every result in order', async () => {
    const ex = new ProcessPoolExecutor({ ...c.clientOptions, maxInFlight: 30 })
    const xs = Array.from({ length: 1500 }, (_, i) => i)
    const out: number[] = []
    const peak = await peakJobs(async () => {
      for await (const y of ex.map(t.square, xs)) out.push(y)
    })
    expect(out).toEqual(xs.map((x) => x * x))
    expect(peak).toBeLessThanOrEqual(30)
    const pool = new Pool({ ...c.clientOptions, maxInFlight: 10 })
    const mapped = await peakJobs(async () => {
      expect(await pool.map(t.square, xs, { chunksize: 10 })).toEqual(xs.map((x) => x * x))
    })
    expect(mapped).toBeLessThanOrEqual(10)
    await ex.shutdown()
    pool.close()
    await pool.join()
  })
})
