/**
 * Worker hosts that die, stop or shut down: every future settles exactly once, the task runs
 * again on another host (at least once, the default) or fails (at most once), a late result is
 * refused, and user code never runs on the host's event loop (a CPU-bound task longer than the
 * lock runs once).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BrokenProcessPool, ProcessPoolExecutor, type Future } from '../dist/index.js'
import { Cluster } from './harness/index.js'
import { type Tasks, loadTasks, pidAlive, scratch, waitFor } from './harness/tasks.js'
import { skipped } from './setup/skip.js'

let t: Tasks
const files = scratch()
const open: { shutdown(o?: object): Promise<void> }[] = []
const clusters: Cluster[] = []

async function cluster(): Promise<Cluster> {
  const c = await Cluster.start({ hosts: 0 })
  clusters.push(c)
  return c
}

function executor(c: Cluster, options: Record<string, unknown> = {}): ProcessPoolExecutor {
  const ex = new ProcessPoolExecutor({ ...c.clientOptions, ...options })
  open.push(ex)
  return ex
}

/** Counts how many times `future` settles (it must be once). */
function settlements(future: Future<unknown>): () => number {
  let n = 0
  future.addDoneCallback(() => n++)
  return () => n
}

describe.skipIf(skipped)('worker hosts that fail', () => {
  beforeAll(async () => {
    t = await loadTasks()
  })
  afterEach(async () => {
    for (const ex of open.splice(0)) await ex.shutdown({ wait: false, cancelFutures: true })
    for (const c of clusters.splice(0)) await c.close()
  })
  afterAll(() => files.cleanup())

  it('a host killed with SIGKILL mid-task: the task runs again on another host and its future resolves once, within 10 s (default lock settings)', async () => {
    const c = await cluster()
    const defaults = { lockDuration: null, stalledInterval: null, concurrency: 1 }
    const first = await c.addHost(defaults)
    const ex = executor(c)
    const file = files.file('sigkill')
    const future = ex.submit(t.slowFirstRun, file, 60)
    const count = settlements(future)
    expect(await waitFor(() => t.runs(file).length === 1)).toBe(true)
    await c.addHost(defaults)
    const [firstPid] = t.runs(file)
    const killed = performance.now()
    first.kill('SIGKILL')
    expect(await future.result(30)).toBe('run again')
    const seconds = (performance.now() - killed) / 1000
    expect(seconds).toBeLessThan(10)
    expect(t.runs(file)).toHaveLength(2)
    // The dead host's local worker died with it.
    expect(await waitFor(() => !pidAlive(firstPid as number), 5000)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(count()).toBe(1)
  })

  it('at most once: the task of a killed host fails with BrokenProcessPool instead of running again', async () => {
    const c = await cluster()
    const first = await c.addHost({ concurrency: 1 })
    const ex = executor(c, { atMostOnce: true })
    const file = files.file('at-most-once')
    const future = ex.submit(t.slowFirstRun, file, 60)
    expect(await waitFor(() => t.runs(file).length === 1)).toBe(true)
    await c.addHost({ concurrency: 1 })
    first.kill('SIGKILL')
    const error = await future.exception(30)
    expect(error).toBeInstanceOf(BrokenProcessPool)
    expect((error as Error).message).toMatch(/worker host running the task was lost.*at most once/)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(t.runs(file)).toHaveLength(1)
    expect(await ex.submit(t.square, 4)).toBe(16)
  })

  it('a host stopped (SIGSTOP) past its lock and resumed: one result is delivered, its late completion is refused', async () => {
    const c = await cluster()
    const stopped = await c.addHost({ concurrency: 1 })
    const ex = executor(c)
    const file = files.file('sigstop')
    const future = ex.submit(t.slowFirstRun, file, 4)
    const count = settlements(future)
    expect(await waitFor(() => t.runs(file).length === 1)).toBe(true)
    await c.addHost({ concurrency: 1 })
    stopped.kill('SIGSTOP')
    // The other host takes the job once the lock (2 s) has expired and the check (1 s) ran.
    expect(await future.result(30)).toBe('run again')
    const from = stopped.lines.length
    stopped.kill('SIGCONT')
    // Resumed, the stopped host learns it lost the job: its result is refused.
    await stopped.waitForLine(/refused|lost its lock|lost the job's lock/, 15_000, from)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(count()).toBe(1)
    expect(await future).toBe('run again')
    expect(t.runs(file)).toHaveLength(2)
  })

  it('a CPU-bound task longer than the lock runs once: user code never blocks the host’s lock renewal', async () => {
    const c = await cluster()
    await c.addHost({ concurrency: 1 })
    await c.addHost({ concurrency: 1 })
    const ex = executor(c)
    const file = files.file('spin')
    expect(await ex.submit(t.spinAndRecord, file, 5)).toBe('spun')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(t.runs(file)).toHaveLength(1)
  })

  it('SIGTERM: a task that finishes within the grace period completes on its host; a longer one is handed back and runs on another host', async () => {
    const c = await cluster()
    const leaving = await c.addHost({ concurrency: 2, shutdownTimeout: 2 })
    const ex = executor(c)
    const file = files.file('handback')
    const short = ex.submit(t.recordThenSleep, files.file('short'), 1)
    const long = ex.submit(t.slowFirstRun, file, 60)
    expect(await waitFor(() => t.runs(file).length === 1 && t.runs(files.file('short')).length === 1)).toBe(true)
    await c.addHost({ concurrency: 1 })
    leaving.kill('SIGTERM')
    expect(await short.result(20)).toBe(t.runs(files.file('short'))[0])
    expect(await long.result(30)).toBe('run again')
    const exit = await leaving.exited
    expect(exit).toEqual({ code: 0, signal: null })
    expect(leaving.output()).toMatch(/handed back to the queue/)
    expect(t.runs(file)).toHaveLength(2)
  })
})
