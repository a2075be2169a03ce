/**
 * Packs: tasks of a function measured fast on the hosts travel several to a job, and each keeps
 * its own outcome (value, or error of its class), settles exactly once, and can be cancelled
 * while its pack waits (it never runs; the others do).
 */
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CancelledError, ProcessPoolExecutor } from '../dist/index.js'
import { Cluster } from './harness/index.js'
import { type Tasks, loadTasks, scratch, waitFor } from './harness/tasks.js'
import { skipped } from './setup/skip.js'

let t: Tasks
let c: Cluster
let redis: Redis
const files = scratch()
const open: ProcessPoolExecutor[] = []

function executor(): ProcessPoolExecutor {
  const ex = new ProcessPoolExecutor(c.clientOptions)
  open.push(ex)
  return ex
}

/** The jobs of this queue (finished ones stay in Redis for `resultRetention` seconds). */
const jobKeys = async (): Promise<string[]> => (await redis.keys(`bull:${c.queue}:*`)).filter((k) => /:c[\w-]+\.\w+$/.test(k))

describe.skipIf(skipped)('packs of fast tasks', () => {
  beforeAll(async () => {
    t = await loadTasks()
    // One host with one slot: a pack waits in the queue behind a running task.
    c = await Cluster.start({ hosts: 1, host: { concurrency: 1 } })
    redis = new Redis(c.connection)
  })
  afterEach(async () => {
    for (const ex of open.splice(0)) await ex.shutdown({ wait: false, cancelFutures: true })
  })
  afterAll(async () => {
    redis?.disconnect()
    await c?.close()
    files.cleanup()
  })

  it('a burst of a fast function travels in a few jobs; each task keeps its value or its error, once', async () => {
    const ex = executor()
    // The first calls measure the function on the host (the very first one is slower).
    for (let i = 0; i < 5; i++) expect(await ex.submit(t.checkedSquare, 2)).toBe(4)
    const before = (await jobKeys()).length
    const futures = Array.from({ length: 600 }, (_, i) => ex.submit(t.checkedSquare, i))
    const settled = futures.map(() => 0)
    futures.forEach((f, i) => f.addDoneCallback(() => (settled[i] = (settled[i] ?? 0) + 1)))
    const outcomes = await Promise.all(futures.map((f) => f.exception().then((error) => error ?? f.result())))
    outcomes.forEach((outcome, i) => {
      if (i % 7 === 3) {
        expect(outcome).toBeInstanceOf(t.TaskError)
        expect((outcome as Error).message).toBe(`bad ${i}`)
      } else expect(outcome).toBe(i * i)
    })
    const jobs = (await jobKeys()).length - before
    // Without packs: 600 jobs.
    expect(jobs).toBeGreaterThan(0)
    expect(jobs).toBeLessThanOrEqual(60)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(settled.every((n) => n === 1)).toBe(true)
  })

  it('a pack carries at most 1 MiB of arguments: large ones travel in more jobs', async () => {
    const ex = executor()
    for (let i = 0; i < 5; i++) expect(await ex.submit(t.identity, i)).toBe(i)
    const before = (await jobKeys()).length
    // About 400 KB each once encoded: two to a pack at most.
    const big = Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(300_000, 'x'))
    expect(await Promise.all(big.map((s) => ex.submit(t.identity, s)))).toEqual(big)
    expect((await jobKeys()).length - before).toBeGreaterThanOrEqual(5)
    // Small ones of the same function: packed again once the hosts have measured a few (the
    // large arguments made its calls slower: decoding them is part of a call's time).
    for (let i = 0; i < 8; i++) expect(await ex.submit(t.identity, i)).toBe(i)
    const small = Array.from({ length: 100 }, (_, i) => i)
    const mark = (await jobKeys()).length
    expect(await Promise.all(small.map((i) => ex.submit(t.identity, i)))).toEqual(small)
    expect((await jobKeys()).length - mark).toBeLessThan(50)
  })

  it('a task cancelled while its pack waits never runs, the others of the pack do; a pack cancelled whole leaves the queue', async () => {
    const ex = executor()
    const file = files.file('values')
    // Measured on the host first (a few calls: the first one is slower).
    for (let i = 0; i < 5; i++) expect(await ex.submit(t.recordValue, files.file('warm'), i)).toBe(i)
    const busy = ex.submit(t.recordThenSleep, files.file('busy'), 1.5)
    expect(await waitFor(() => t.runs(files.file('busy')).length === 1)).toBe(true)
    const futures = Array.from({ length: 20 }, (_, i) => ex.submit(t.recordValue, file, i))
    await new Promise((resolve) => setTimeout(resolve, 300))
    // A few jobs carry the 20 tasks, waiting for the host's only slot.
    const waiting = await redis.llen(`bull:${c.queue}:wait`)
    expect(waiting).toBeGreaterThan(0)
    expect(waiting).toBeLessThan(20)
    for (const i of [3, 11]) {
      expect(futures[i]?.cancel()).toBe(true)
      await expect(futures[i]?.result()).rejects.toBeInstanceOf(CancelledError)
    }
    const kept = futures.filter((_, i) => i !== 3 && i !== 11)
    expect(await Promise.all(kept)).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 3 && i !== 11))
    expect(t.recorded(file).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 3 && i !== 11))
    await busy

    // The whole pack cancelled: its job is withdrawn, nothing of it runs.
    const busy2 = ex.submit(t.recordThenSleep, files.file('busy2'), 1)
    expect(await waitFor(() => t.runs(files.file('busy2')).length === 1)).toBe(true)
    const other = files.file('other')
    const all = Array.from({ length: 10 }, (_, i) => ex.submit(t.recordValue, other, i))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await redis.llen(`bull:${c.queue}:wait`)).toBeLessThan(10)
    for (const f of all) expect(f.cancel()).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await redis.llen(`bull:${c.queue}:wait`)).toBe(0)
    await busy2
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(t.recorded(other)).toEqual([])
  })

  it('a host killed with SIGKILL mid-pack: the whole pack runs again on another host, and each future resolves once', async () => {
    const lost = await Cluster.start({ hosts: 1, host: { concurrency: 1 } })
    const store = new Redis(lost.connection)
    try {
      const ex = new ProcessPoolExecutor(lost.clientOptions)
      open.push(ex)
      for (let i = 0; i < 10; i++) expect(await ex.submit(t.packMember, files.file('warm-lost'), i, 0)).toBe(i)
      const file = files.file('lost')
      const futures = Array.from({ length: 5 }, (_, i) => ex.submit(t.packMember, file, i, i === 2 ? 60 : 0))
      const settled = futures.map(() => 0)
      futures.forEach((f, i) => f.addDoneCallback(() => (settled[i] = (settled[i] ?? 0) + 1)))
      // Tasks 0, 1 and 2 ran on the first host; 2 sleeps there.
      expect(await waitFor(() => t.recorded(file).length === 3)).toBe(true)
      // They travel in one job, a pack.
      expect((await store.keys(`bull:${lost.queue}:c*`)).filter((k) => /\.p\w+$/.test(k))).toHaveLength(1)
      await lost.addHost()
      const first = lost.hosts[0]
      first?.kill('SIGKILL')
      const killed = performance.now()
      expect(await Promise.all(futures.map((f) => f.result(30)))).toEqual([0, 1, 2, 3, 4])
      expect((performance.now() - killed) / 1000).toBeLessThan(10)
      // At least once: the pack ran again whole, so 0, 1 and 2 ran twice; 3 and 4 once.
      expect(t.recorded(file).sort((a, b) => a - b)).toEqual([0, 0, 1, 1, 2, 2, 3, 4])
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(settled).toEqual([1, 1, 1, 1, 1])
    } finally {
      store.disconnect()
      for (const ex of open.splice(0)) await ex.shutdown({ wait: false, cancelFutures: true })
      await lost.close()
    }
  })
})
