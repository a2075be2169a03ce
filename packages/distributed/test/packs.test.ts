/**
 * Packs: tasks of a function measured fast on the hosts travel several to a job, and each keeps
 * its own outcome (value, or error of its class), settles exactly once, and can be cancelled
 * while its pack waits (it never runs; the others do).
 */
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { CancelledError, DEFAULT_PAYLOAD_LIMIT, Pool, ProcessPoolExecutor } from '../dist/index.js'
import { Cluster } from './harness/index.js'
import { clusterSuite } from './harness/suite.js'
import { waitFor } from './harness/tasks.js'
import { skipped } from './setup/skip.js'

describe.skipIf(skipped)('packs of fast tasks', () => {
  // One host with one slot: a pack waits in the queue behind a running task.
  const s = clusterSuite({ hosts: 1, host: { concurrency: 1 } })

  it('a burst of a fast function travels in a few jobs; each task keeps its value or its error, once', async () => {
    const ex = s.executor()
    // The first calls measure the function on the host (the very first one is slower).
    for (let i = 0; i < 5; i++) expect(await ex.submit(s.t.checkedSquare, 2)).toBe(4)
    const before = (await s.jobs()).size
    const futures = Array.from({ length: 600 }, (_, i) => ex.submit(s.t.checkedSquare, i))
    const settled = futures.map(() => 0)
    futures.forEach((f, i) => f.addDoneCallback(() => (settled[i] = (settled[i] ?? 0) + 1)))
    const outcomes = await Promise.all(futures.map((f) => f.exception().then((error) => error ?? f.result())))
    outcomes.forEach((outcome, i) => {
      if (i % 7 === 3) {
        expect(outcome).toBeInstanceOf(s.t.TaskError)
        expect((outcome as Error).message).toBe(`bad ${i}`)
      } else expect(outcome).toBe(i * i)
    })
    const jobs = (await s.jobs()).size - before
    // Without packs: 600 jobs.
    expect(jobs).toBeGreaterThan(0)
    expect(jobs).toBeLessThanOrEqual(60)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(settled.every((n) => n === 1)).toBe(true)
  })

  it("Pool.imap's items are not packed: one job each, so that a worker death fails that item only", async () => {
    const pool = new Pool({ ...s.c.clientOptions, processes: 1 })
    try {
      // Measured fast by this pool (a burst of `applyAsync` calls of it is packed).
      for (let i = 0; i < 5; i++) expect(await pool.apply(s.t.checkedSquare, [2])).toBe(4)
      const mark = (await s.jobs()).size
      expect(await Promise.all(Array.from({ length: 60 }, (_, i) => pool.applyAsync(s.t.checkedSquare, [i * 7 + 1])))).toHaveLength(60)
      expect((await s.jobs()).size - mark).toBeLessThan(60)
      const before = (await s.jobs()).size
      const outcomes: unknown[] = []
      const it = pool.imap(s.t.checkedSquare, Array.from({ length: 120 }, (_, i) => i))
      for (;;) {
        try {
          const step = await it.next()
          if (step.done === true) break
          outcomes.push(step.value)
        } catch (error) {
          outcomes.push(error)
        }
      }
      outcomes.forEach((outcome, i) => {
        if (i % 7 === 3) expect((outcome as Error).message).toBe(`bad ${i}`)
        else expect(outcome).toBe(i * i)
      })
      expect((await s.jobs()).size - before).toBe(120)
    } finally {
      pool.terminate()
      await pool.join()
    }
  })

  it('a pack carries at most 1 MiB of arguments: large ones travel in more jobs', async () => {
    const ex = s.executor()
    for (let i = 0; i < 5; i++) expect(await ex.submit(s.t.identity, i)).toBe(i)
    const before = (await s.jobs()).size
    // About 400 KB each once encoded: two to a pack at most.
    const big = Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(300_000, 'x'))
    expect(await Promise.all(big.map((text) => ex.submit(s.t.identity, text)))).toEqual(big)
    expect((await s.jobs()).size - before).toBeGreaterThanOrEqual(5)
    // Small ones of the same function: packed again once the hosts have measured a few (the
    // large arguments made its calls slower: decoding them is part of a call's time).
    for (let i = 0; i < 8; i++) expect(await ex.submit(s.t.identity, i)).toBe(i)
    const small = Array.from({ length: 100 }, (_, i) => i)
    const mark = (await s.jobs()).size
    expect(await Promise.all(small.map((i) => ex.submit(s.t.identity, i)))).toEqual(small)
    expect((await s.jobs()).size - mark).toBeLessThan(50)
  })

  it("a pack's results stay within the payload limit: the tasks that would pass it come back and travel alone, each runs once", async () => {
    const ex = s.executor()
    const file = s.files.file('bytes')
    // Measured fast on the host first (small results).
    for (let i = 0; i < 5; i++) expect(await ex.submit(s.t.recordBytes, s.files.file('warm-bytes'), i, 8)).toBe(`${i}:`.padEnd(8, 'x'))
    const before = new Set((await s.jobs()).keys())
    // 40 results of 1 MiB: about 53 MiB encoded, more than three times the 16 MiB a result may take.
    const n = 40
    const size = 1024 * 1024
    const results = await Promise.all(Array.from({ length: n }, (_, i) => ex.submit(s.t.recordBytes, file, i, size)))
    results.forEach((result, i) => {
      expect(result).toHaveLength(size)
      expect(result.startsWith(`${i}:x`)).toBe(true)
    })
    // Each task ran once: none ran in a pack and again alone.
    expect(s.t.recorded(file).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i))
    const added = [...(await s.jobs()).keys()].filter((key) => !before.has(key))
    const sizes = await Promise.all(added.map((key) => s.redis.hstrlen(key, 'returnvalue')))
    expect(sizes.length).toBeGreaterThan(1)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(DEFAULT_PAYLOAD_LIMIT + 64 * 1024)

    // The client packs by the size of the results it has seen (about 1 MiB of results a job): a
    // few calls with smaller results, then a burst of them.
    for (let i = 0; i < 6; i++) expect(await ex.submit(s.t.recordBytes, s.files.file('warm-bytes'), i, 64 * 1024)).toHaveLength(64 * 1024)
    const again = s.files.file('bytes-again')
    const mark = new Set((await s.jobs()).keys())
    const small = await Promise.all(Array.from({ length: 64 }, (_, i) => ex.submit(s.t.recordBytes, again, i, 64 * 1024)))
    expect(small.map((r) => r.slice(0, r.indexOf(':')))).toEqual(Array.from({ length: 64 }, (_, i) => `${i}`))
    expect(s.t.recorded(again).sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i))
    const jobs = [...(await s.jobs()).keys()].filter((key) => !mark.has(key)).length
    // 64 results of about 87 KiB encoded: 11 to a job at most, so at least 6 jobs; at most 64.
    expect(jobs).toBeGreaterThanOrEqual(6)
    expect(jobs).toBeLessThan(64)
  })

  it("map's chunks stay within the payload limit: big items go a few to a job, and a host runs only the items whose results fit; each item runs once", async () => {
    const pool = new Pool({ ...s.c.clientOptions, processes: 1 })
    try {
      // One chunk of 24 results of 1 MiB: 32 MiB encoded, twice what a job may carry. The host
      // returns the results that fit and its client sends the rest of the chunk again.
      const file = s.files.file('chunk-bytes')
      const n = 24
      const size = 1024 * 1024
      const results = (await pool.starmap(s.t.recordBytes, Array.from({ length: n }, (_, i) => [file, i, size]), { chunksize: n })) as string[]
      expect(results.map((r) => r.length)).toEqual(Array.from({ length: n }, () => size))
      expect(results.map((r) => r.slice(0, r.indexOf(':')))).toEqual(Array.from({ length: n }, (_, i) => `${i}`))
      expect(s.t.recorded(file).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i))
      // Big items with the default chunksize: ceil(52 / 4) = 13 items of 1 MiB a chunk made 17.3
      // MiB of arguments a job, refused at submit. A default chunk stops before 256 KiB of items.
      const items = Array.from({ length: 52 }, (_, i) => Buffer.alloc(size, i))
      const echoed = (await pool.map(s.t.identity, items)) as Uint8Array[]
      expect(echoed.map((b) => [b.byteLength, b[0], b[size - 1]])).toEqual(items.map((_, i) => [size, i, i]))
    } finally {
      pool.terminate()
      await pool.join()
    }
  })

  it('a task cancelled while its pack waits never runs, the others of the pack do; a pack cancelled whole leaves the queue', async () => {
    const ex = s.executor()
    const file = s.files.file('values')
    // Measured on the host first (a few calls: the first one is slower).
    for (let i = 0; i < 5; i++) expect(await ex.submit(s.t.recordValue, s.files.file('warm'), i)).toBe(i)
    const busy = ex.submit(s.t.recordThenSleep, s.files.file('busy'), 1.5)
    expect(await waitFor(() => s.t.runs(s.files.file('busy')).length === 1)).toBe(true)
    const futures = Array.from({ length: 20 }, (_, i) => ex.submit(s.t.recordValue, file, i))
    await new Promise((resolve) => setTimeout(resolve, 300))
    // A few jobs carry the 20 tasks, waiting for the host's only slot.
    const waiting = await s.redis.llen(`bull:${s.c.queue}:wait`)
    expect(waiting).toBeGreaterThan(0)
    expect(waiting).toBeLessThan(20)
    for (const i of [3, 11]) {
      expect(futures[i]?.cancel()).toBe(true)
      await expect(futures[i]?.result()).rejects.toBeInstanceOf(CancelledError)
    }
    const kept = futures.filter((_, i) => i !== 3 && i !== 11)
    expect(await Promise.all(kept)).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 3 && i !== 11))
    expect(s.t.recorded(file).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 3 && i !== 11))
    await busy

    // The whole pack cancelled: its job is withdrawn, nothing of it runs.
    const busy2 = ex.submit(s.t.recordThenSleep, s.files.file('busy2'), 1)
    expect(await waitFor(() => s.t.runs(s.files.file('busy2')).length === 1)).toBe(true)
    const other = s.files.file('other')
    const all = Array.from({ length: 10 }, (_, i) => ex.submit(s.t.recordValue, other, i))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await s.redis.llen(`bull:${s.c.queue}:wait`)).toBeLessThan(10)
    for (const f of all) expect(f.cancel()).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await s.redis.llen(`bull:${s.c.queue}:wait`)).toBe(0)
    await busy2
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(s.t.recorded(other)).toEqual([])
  })

  it('a host killed with SIGKILL mid-pack: the whole pack runs again on another host, and each future resolves once', async () => {
    const lost = await Cluster.start({ hosts: 1, host: { concurrency: 1 } })
    const store = new Redis(lost.connection)
    const ex = new ProcessPoolExecutor(lost.clientOptions)
    try {
      for (let i = 0; i < 10; i++) expect(await ex.submit(s.t.packMember, s.files.file('warm-lost'), i, 0)).toBe(i)
      const file = s.files.file('lost')
      const futures = Array.from({ length: 5 }, (_, i) => ex.submit(s.t.packMember, file, i, i === 2 ? 60 : 0))
      const settled = futures.map(() => 0)
      futures.forEach((f, i) => f.addDoneCallback(() => (settled[i] = (settled[i] ?? 0) + 1)))
      // Tasks 0, 1 and 2 ran on the first host; 2 sleeps there.
      expect(await waitFor(() => s.t.recorded(file).length === 3)).toBe(true)
      // They travel in one job, a pack.
      expect((await store.keys(`bull:${lost.queue}:c*`)).filter((k) => /\.p\w+$/.test(k))).toHaveLength(1)
      await lost.addHost()
      const first = lost.hosts[0]
      first?.kill('SIGKILL')
      const killed = performance.now()
      expect(await Promise.all(futures.map((f) => f.result(30)))).toEqual([0, 1, 2, 3, 4])
      expect((performance.now() - killed) / 1000).toBeLessThan(10)
      // At least once: the pack ran again whole, so 0, 1 and 2 ran twice; 3 and 4 once.
      expect(s.t.recorded(file).sort((a, b) => a - b)).toEqual([0, 0, 1, 1, 2, 2, 3, 4])
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(settled).toEqual([1, 1, 1, 1, 1])
    } finally {
      store.disconnect()
      await ex.shutdown({ wait: false, cancelFutures: true })
      await lost.close()
    }
  })
})
