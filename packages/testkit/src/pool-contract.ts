/**
 * The executor and pool contract, written once and run against every backend. Items refer to
 * python-api.md §5 F (Pool) and G (futures and executors); the rest is what Node pool users
 * expect (abort signals, per-task timeouts, transfer lists, crashes that never hang).
 */
import { spawn } from 'node:child_process'
import { getEventListeners } from 'node:events'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { TSX_PROGRAM_TIMEOUT_MS, captureWarnings, fixture, runNode, setEnv, tempDir, testTimeoutFor, waitFor, withEnv } from './harness.ts'

/* eslint-disable @typescript-eslint/no-explicit-any -- the suite drives both backends' classes at run time */
type Fn = (...args: any[]) => any

export interface PoolBackendUnderTest {
  readonly kind: 'thread' | 'process'
  /** File URL of the backend package's entry (dist/index.js). */
  readonly backendUrl: string
  /** `ThreadPoolExecutor` / `ProcessPoolExecutor`. */
  readonly Executor: new (options?: any) => any
  /** `ThreadPool` / `Pool`. */
  readonly Pool: new (options?: any) => any
  /** `BrokenThreadPool` / `BrokenProcessPool`. */
  readonly Broken: new (...args: any[]) => Error
  /**
   * False when the workers are not this program's (`@conc/distributed`: worker hosts shared by
   * every client). The tests about local workers (their ids, names and number, `maxTasksPerChild`,
   * a dead worker breaking an executor, `maxWorkers` bounding how many tasks run, a `Pool`
   * retrying a failing initializer in new workers, primitives as task arguments) are then
   * skipped. Default true.
   */
  readonly localWorkers?: boolean
  readonly lib: {
    fromModule<F extends Fn>(fn: F, module: string | URL, exportName?: string): F
    readonly BrokenExecutor: new (...args: any[]) => Error
    readonly CancelledError: new (...args: any[]) => Error
    readonly TimeoutError: new (...args: any[]) => Error
    readonly MaybeEncodingError: new (...args: any[]) => Error
    readonly ValueError: new (...args: any[]) => Error
    readonly RuntimeError: new (...args: any[]) => Error
    readonly FIRST_COMPLETED: string
    wait(fs: Iterable<any>, options?: any): Promise<{ done: Set<any>; notDone: Set<any> }>
    asCompleted(fs: Iterable<any>, timeout?: number): AsyncIterable<any>
  }
}

const fixtureUrl = new URL('../fixtures/pool-targets.mjs', import.meta.url).href
const settle = (p: PromiseLike<unknown>): Promise<{ ok: boolean; value: unknown }> =>
  Promise.resolve(p).then(
    (value) => ({ ok: true, value }),
    (value: unknown) => ({ ok: false, value }),
  )
const elapsed = (start: number): number => (performance.now() - start) / 1000
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
/** Calls `next()` until done, going on after a throw: the values, and what each failed call threw, in order. */
async function steps(it: AsyncIterator<unknown>): Promise<{ values: unknown[]; errors: unknown[]; all: unknown[] }> {
  const values: unknown[] = []
  const errors: unknown[] = []
  const all: unknown[] = []
  for (;;) {
    const step = await settle(it.next())
    if (!step.ok) {
      errors.push(step.value)
      all.push(step.value)
    } else if ((step.value as IteratorResult<unknown>).done === true) return { values, errors, all }
    else {
      values.push((step.value as IteratorResult<unknown>).value)
      all.push((step.value as IteratorResult<unknown>).value)
    }
  }
}
const messages = (errors: unknown[]): string[] => errors.map((e) => (e as Error).message)

export function definePoolContract(backend: PoolBackendUnderTest): void {
  const { Executor, Pool, Broken, lib, kind } = backend
  const itLocal = backend.localWorkers === false ? it.skip : it
  let t: Record<string, Fn>
  const open: { shutdown?: (o?: any) => Promise<void>; terminate?: () => void; join?: () => Promise<void> }[] = []
  const executor = (options: Record<string, unknown> = {}): any => {
    const ex = new Executor({ maxWorkers: 2, ...options })
    open.push(ex)
    return ex
  }
  const pool = (options: Record<string, unknown> = {}): any => {
    const p = new Pool({ processes: 2, ...options })
    open.push(p)
    return p
  }

  /** Makes a pool or executor with CONC_OFFERS=1: a thread pool offers long tasks whatever the CPU count. */
  const withOffers = <P>(make: () => P): P => withEnv('CONC_OFFERS', '1', make)

  beforeAll(async () => {
    process.env.CONC_BACKEND = backend.backendUrl
    const mod = (await import(fixtureUrl)) as Record<string, unknown>
    t = {}
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === 'function') t[name] = lib.fromModule(value as Fn, fixtureUrl, name)
    }
  })
  afterEach(async () => {
    for (const x of open.splice(0)) {
      if (x.shutdown !== undefined) await x.shutdown({ wait: false, cancelFutures: true })
      if (x.terminate !== undefined) {
        x.terminate()
        await x.join?.()
      }
    }
  })
  afterAll(async () => {
    for (const x of open.splice(0)) x.terminate?.()
  })

  describe(`${kind} executor (§5 G)`, () => {
    it('submit gives a future of the result; map equals the builtin map, also chunked (G56)', async () => {
      const ex = executor()
      const f = ex.submit(t.add, 2, 3)
      expect(await f).toBe(5)
      expect(await f.result()).toBe(5)
      expect(f.done()).toBe(true)
      const xs = Array.from({ length: 30 }, (_, i) => i)
      expect(await collect(ex.map(t.square, xs))).toEqual(xs.map((x) => x * x))
      expect(await collect(ex.map(t.square, xs, { chunksize: 3 }))).toEqual(xs.map((x) => x * x))
      expect(await collect(ex.map(t.square, []))).toEqual([])
      // Chunks of numbers travel packed; values (-0, NaN) and mixed chunks come back unchanged.
      const numbers = [-0, NaN, 1.5, -7, 2 ** 53, ...xs]
      expect(await collect(ex.map(t.identity, numbers, { chunksize: 20 }))).toEqual(numbers)
      expect(Object.is((await collect(ex.map(t.identity, numbers, { chunksize: 20 })))[0], -0)).toBe(true)
      const mixed = [...xs.slice(0, 20), 'x', { a: 1 }, null]
      expect(await collect(ex.map(t.identity, mixed, { chunksize: 30 }))).toEqual(mixed)
      expect(() => ex.map(t.square, xs, { chunksize: 0 })).toThrow('chunksize must be >= 1.')
    })

    it('map raises a call error when its result is reached, after the earlier results (G56)', async () => {
      const ex = executor()
      const futures = [1, 2, 3, 4].map((x) => ex.submit(t.failAt, x, 3))
      const results = await Promise.allSettled(futures)
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
      const seen: unknown[] = []
      const error = await (async () => {
        for await (const y of ex.map(t.failAt, [1, 2, -3, 4] as never)) seen.push(y)
      })().catch((e: unknown) => e)
      expect(seen).toEqual([1, 4])
      expect((error as Error).message).toBe('bad item -3')
    })

    it('map with a timeout yields the fast results, then TimeoutError (G56)', async () => {
      const ex = executor()
      await Promise.all([ex.submit(t.sleep, 0.05), ex.submit(t.sleep, 0.05)]) // both workers up
      const start = performance.now()
      const seen: unknown[] = []
      const error = await (async () => {
        for await (const y of ex.map(t.sleep, [0, 0, 4], { timeout: 1.5 })) seen.push(y)
      })().catch((e: unknown) => e)
      expect(seen).toEqual([0, 0])
      expect(error).toBeInstanceOf(lib.TimeoutError)
      expect(elapsed(start)).toBeGreaterThanOrEqual(1.4)
      expect(elapsed(start)).toBeLessThan(3.5)
    })

    it('rejects bad worker counts and a non-function; defaults as Python (G56)', () => {
      expect(() => new Executor({ maxWorkers: 0 })).toThrow('max_workers must be greater than 0')
      expect(() => new Executor({ maxWorkers: -1 })).toThrow(lib.ValueError)
      expect(() => new Executor({ maxTasksPerChild: 0 })).toThrow(lib.ValueError)
      const cpus = availableParallelism()
      const ex = new Executor()
      open.push(ex) // shut down after the test even if an assertion fails
      expect(ex.maxWorkers).toBe(kind === 'thread' ? Math.min(32, cpus + 4) : cpus)
      expect(() => ex.submit(42 as never)).toThrow(TypeError)
    })

    it('shutdown waits for queued work, then refuses new work; idempotent (G57)', async () => {
      const ex = executor()
      const futures = Array.from({ length: 50 }, (_, i) => ex.submit(t.sleepThen, 0.005, i))
      await ex.shutdown()
      expect(futures.every((f: any) => f.done() && !f.cancelled())).toBe(true)
      expect(await Promise.all(futures)).toEqual(Array.from({ length: 50 }, (_, i) => i))
      expect(() => ex.submit(t.square, 1)).toThrow('cannot schedule new futures after shutdown')
      expect(() => ex.submit(t.square, 1)).toThrow(lib.RuntimeError)
      await ex.shutdown()
      expect(ex.workerIds).toEqual([])
    })

    it('shutdown({ cancelFutures }) cancels queued futures, the rest complete (G57)', async () => {
      const ex = executor()
      const futures = Array.from({ length: 50 }, () => ex.submit(t.sleep, 0.05))
      await ex.shutdown({ cancelFutures: true })
      const cancelled = futures.filter((f: any) => f.cancelled()).length
      expect(cancelled).toBeGreaterThan(20)
      for (const f of futures) expect(f.done()).toBe(true)
      for (const f of futures.filter((g: any) => !g.cancelled())) expect(await f).toBe(0.05)
    })

    itLocal('await using shuts down; sequential submits reuse one worker; never more than maxWorkers (G57)', async () => {
      let ids: number[] = []
      {
        await using ex = new Executor({ maxWorkers: 3 })
        for (let i = 0; i < 3; i++) ids.push(await ex.submit(t.ident))
        expect(new Set(ids).size).toBe(1)
        expect(ex.workerIds.length).toBe(1)
      }
      const ex = executor()
      const futures = Array.from({ length: 30 }, () => ex.submit(t.sleep, 0.01))
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(ex.workerIds.length).toBeLessThanOrEqual(2)
      await Promise.all(futures)
      ids = ex.workerIds
      expect(ids.length).toBeLessThanOrEqual(2)
    })

    itLocal("a Pool's workers are numbered with the process's other units, as Python's are (SpawnPoolWorker-N, Thread-N)", async () => {
      const units = lib as unknown as Record<string, unknown>
      const Runner = (units.Thread ?? units.Process) as new () => { name: string }
      const number = (name: string): number => Number(/-(\d+)$/.exec(name)?.[1])
      const before = number(new Runner().name)
      const p = pool({ processes: 1 })
      const worker = (await p.apply(t.unitName)) as string
      expect(worker).toMatch(kind === 'thread' ? /^Thread-\d+$/ : /^SpawnPoolWorker-\d+$/)
      expect(number(worker)).toBeGreaterThan(before)
      expect(number(new Runner().name)).toBeGreaterThan(number(worker))
    })

    itLocal('names workers <prefix>_<i> (G57)', async () => {
      const ex = executor({ threadNamePrefix: 'Worker', maxWorkers: 1 })
      expect(await ex.submit(t.unitName)).toBe('Worker_0')
      const plain = executor({ maxWorkers: 1 })
      expect(await plain.submit(t.unitName)).toMatch(kind === 'thread' ? /^ThreadPoolExecutor-\d+_0$/ : /^ProcessPoolExecutor-\d+_0$/)
    })

    it('a task error arrives with its class name, message, remote stack, cause and own properties (G59)', async () => {
      const ex = executor()
      const error = (await ex.submit(t.throwCustom, 'boom').exception()) as Error & Record<string, unknown>
      expect(error).toBeInstanceOf(Error)
      expect(error.name).toBe('CustomError')
      expect(error.message).toBe('boom')
      expect(error.stack).toContain('throwCustom')
      expect(error.stack).toContain('pool-targets.mjs')
      expect(error.code).toBe('E_CUSTOM')
      expect(error.detail).toEqual({ answer: 42 })
      expect(error.cause).toBeInstanceOf(RangeError)
      expect((error.cause as Error).message).toBe('inner')
      expect(await ex.submit(t.square, 3)).toBe(9)
    })

    itLocal('a worker that dies breaks the executor: pending futures and later submits fail (G59)', async () => {
      const ex = executor({ maxWorkers: 1 })
      expect(await ex.submit(t.square, 2)).toBe(4)
      const dying = ex.submit(t.exitNow, 1)
      const pending = [ex.submit(t.square, 3), ex.submit(t.square, 4)]
      const error = await dying.exception()
      expect(error).toBeInstanceOf(Broken)
      expect(error).toBeInstanceOf(lib.BrokenExecutor)
      expect((error as Error).message).toMatch(/terminated abruptly while the future was running or pending/)
      for (const f of pending) expect(await f.exception()).toBeInstanceOf(Broken)
      expect(() => ex.submit(t.square, 5)).toThrow(Broken)
      expect(() => ex.submit(t.square, 5)).toThrow(/not usable anymore/)
    })

    it('the initializer runs in each worker first; a failing one breaks the executor (G59)', async () => {
      const ex = executor({ initializer: t.setInitValue, initargs: ['ready'] })
      expect(await Promise.all([ex.submit(t.readInitValue), ex.submit(t.readInitValue)])).toEqual(['ready', 'ready'])
      const bad = executor({ initializer: t.failingInit })
      const error = await bad.submit(t.square, 2).exception()
      expect(error).toBeInstanceOf(lib.BrokenExecutor)
      expect(((error as Error).cause as Error).message).toBe('initializer failed on purpose')
      expect(() => bad.submit(t.square, 2)).toThrow(lib.BrokenExecutor)
      expect(() => new Executor({ initializer: 5 })).toThrow('initializer must be a callable')
    })

    itLocal('maxTasksPerChild 3 with one worker: tasks 1–3 share a worker, task 4 gets a new one (G60)', async () => {
      const ex = executor({ maxWorkers: 1, maxTasksPerChild: 3 })
      const ids: number[] = []
      for (let i = 0; i < 4; i++) ids.push(await ex.submit(t.ident))
      expect(ids[0]).toBe(ids[1])
      expect(ids[1]).toBe(ids[2])
      expect(ids[3]).not.toBe(ids[0])
      expect(ex.workerIds.length).toBe(1)
    })

    it('an argument that cannot be sent fails its future; a result that cannot be sent is MaybeEncodingError; the executor lives on', async () => {
      const ex = executor()
      const error = await ex.submit(t.square, (() => 1) as never).exception()
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toMatch(/cannot send argument 0/)
      for (let i = 0; i < 20; i++) expect(await ex.submit(t.unsendableResult).exception()).toBeInstanceOf(lib.MaybeEncodingError)
      expect(await ex.submit(t.square, 6)).toBe(36)
    })

    it('an argument that cannot be sent does not hold back the tasks queued behind it', async () => {
      // One worker: the first task goes at once, the others wait for it and then go as a batch
      // (or one by one), the unsendable one alone or with them.
      const ex = executor({ maxWorkers: 1 })
      const futures = [ex.submit(t.square, 2), ex.submit(t.square, (() => 1) as never), ex.submit(t.square, 3), ex.submit(t.square, 4)]
      const settled = await Promise.all(futures.map((f) => settle(f.result(10))))
      expect(settled.map((r) => (r.ok ? r.value : (r.value as Error).name))).toEqual([4, 'TypeError', 9, 16])
    })

    itLocal('a task whose message cannot be sent for another reason (a bad transfer list) settles, and the tasks behind it run', async () => {
      // Threads refuse an object that is not transferable; processes ignore transfer lists. Alone
      // on its worker, with a timeout or not (a task with one runs alone).
      for (const options of [{}, { timeout: 30 }]) {
        const ex = executor({ maxWorkers: 1 })
        const first = ex.submit(t.sleep, 0.2)
        const odd = ex.submitWith({ ...options, transfer: [{}] as never }, t.square, 2)
        const after = ex.submit(t.square, 3)
        await first
        const r = await settle(odd.result(10))
        if (!r.ok) expect(r.value).not.toBeInstanceOf(lib.TimeoutError)
        expect(await after.result(10)).toBe(9)
        await ex.shutdown()
      }
      // In a batch of many (the function measured fast): only that task can fail, the others of
      // its batch run; so do two tasks that move the same buffer, but for the second.
      const ex = executor({ maxWorkers: 1 })
      await Promise.all(Array.from({ length: 50 }, (_, i) => ex.submit(t.square, i)))
      const busy = ex.submit(t.sleep, 0.2)
      const shared = new ArrayBuffer(8)
      const futures = Array.from({ length: 20 }, (_, i) =>
        i === 10 ? ex.submitWith({ transfer: [{}] as never }, t.square, i) : i === 15 || i === 16 ? ex.submitWith({ transfer: [shared] }, t.square, i) : ex.submit(t.square, i),
      )
      await busy
      const settled = await Promise.all(futures.map((f) => settle(f.result(10))))
      for (const [i, r] of settled.entries()) if (i !== 10 && i !== 16) expect(r, `task ${i}`).toEqual({ ok: true, value: i * i })
      await ex.shutdown()
    })

    itLocal('an argument or a result whose getter throws fails its own task only, as any value that cannot be sent', async () => {
      const ex = executor({ maxWorkers: 1 })
      const throwing = {
        name: 'argument',
        get data(): never {
          throw new Error('no data here')
        },
      }
      const results = [ex.submit(t.square, 2), ex.submit(t.square, throwing as never), ex.submit(t.square, 3)]
      expect(await results[0]).toBe(4)
      expect(((await results[1]?.exception()) as Error).message).toMatch(/cannot send argument 0/)
      expect(await results[2]).toBe(9)
      expect(await ex.submit(t.throwingGetterResult).exception()).toBeInstanceOf(lib.MaybeEncodingError)
      const p = pool({ processes: 1 })
      await expect(p.map(t.square as never, [2, throwing])).rejects.toThrow(/cannot send/)
      expect(await p.map(t.square as never, [2, 3])).toEqual([4, 9])
      expect(await ex.submit(t.square, 6)).toBe(36)
    })

    itLocal('an AbortSignal withdraws a queued task and stops a running one; the worker is replaced', async () => {
      const ex = executor({ maxWorkers: 1 })
      const blocker = new AbortController()
      const running = ex.submitWith({ signal: blocker.signal }, t.sleep, 30)
      const queued = new AbortController()
      const waiting = ex.submitWith({ signal: queued.signal }, t.square, 3)
      for (let i = 0; i < 500 && !running.running(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(running.running()).toBe(true)
      queued.abort()
      expect(waiting.cancelled()).toBe(true)
      const start = performance.now()
      blocker.abort()
      const error = await running.exception()
      expect((error as Error).name).toBe('AbortError')
      expect(elapsed(start)).toBeLessThan(5)
      expect(await ex.submit(t.square, 4)).toBe(16)
      const pre = AbortSignal.abort()
      expect(ex.submitWith({ signal: pre }, t.square, 1).cancelled()).toBe(true)
    })

    it('one AbortSignal shared by many tasks: no listener-leak warning, no listener left, and aborting it stops them all', async () => {
      // An app-wide signal given to every call: Node warns "Possible EventTarget memory leak" from
      // the eleventh listener on a signal, so the executor keeps one per signal, not one per task.
      const ex = executor({ maxWorkers: 1 })
      await captureWarnings(async (warnings) => {
        const app = new AbortController()
        const calls = Array.from({ length: 40 }, (_, i) => ex.submitWith({ signal: app.signal }, t.square, i))
        expect(await Promise.all(calls.map((f: any) => f.result()))).toEqual(Array.from({ length: 40 }, (_, i) => i * i))
        expect(getEventListeners(app.signal, 'abort')).toHaveLength(0)

        const stop = new AbortController()
        const running = ex.submitWith({ signal: stop.signal }, t.sleep, 30)
        const queued = Array.from({ length: 20 }, () => ex.submitWith({ signal: stop.signal }, t.square, 2))
        for (let i = 0; i < 500 && !running.running(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
        stop.abort()
        expect(((await settle(running.result())).value as Error).name).toBe('AbortError')
        // Across machines a host may have taken some of them already: those finish or stop.
        for (const f of queued) {
          if (backend.localWorkers === false) expect(f.cancelled() || [4, 'AbortError'].includes(await f.result().catch((e: Error) => e.name))).toBe(true)
          else expect(f.cancelled()).toBe(true)
        }
        expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0)
        expect(await ex.submit(t.square, 5)).toBe(25)
        expect(warnings.map((w) => w.message)).toEqual([])
      })
    })

    it('a per-task timeout ends the task with TimeoutError and the executor goes on', async () => {
      const ex = executor({ maxWorkers: 1 })
      const start = performance.now()
      const error = await ex.submitWith({ timeout: 0.3 }, t.sleep, 30).exception()
      expect(error).toBeInstanceOf(lib.TimeoutError)
      expect(elapsed(start)).toBeLessThan(5)
      expect(await ex.submitWith({ timeout: 5 }, t.square, 5)).toBe(25)
    })

    it(`${kind === 'thread' ? 'moves' : 'copies'} ArrayBuffers given in a transfer list`, async () => {
      const ex = executor()
      const buffer = new ArrayBuffer(1024)
      expect(await ex.submitWith({ transfer: [buffer] }, t.byteLength, buffer)).toBe(1024)
      // Zero copy on threads: the buffer now belongs to the worker. Processes copy it.
      expect(buffer.byteLength).toBe(kind === 'thread' ? 0 : 1024)
    })

    it('wait() and asCompleted() work on executor futures (G58)', async () => {
      const ex = executor()
      await Promise.all([ex.submit(t.sleep, 0.05), ex.submit(t.sleep, 0.05)]) // both workers up
      const slow = ex.submit(t.sleepThen, 1.5, 'slow')
      const fast = ex.submit(t.sleepThen, 0, 'fast')
      const { done, notDone } = await lib.wait([fast, slow, fast], { returnWhen: lib.FIRST_COMPLETED })
      expect(done.has(fast)).toBe(true)
      expect(notDone.has(slow)).toBe(true)
      const order: unknown[] = []
      for await (const f of lib.asCompleted([slow, fast])) order.push(await f.result())
      expect(order).toEqual(['fast', 'slow'])
    })

    it('every future settles when workers crash at random under load (none lost, none hanging)', async () => {
      for (const round of [0, 1, 2]) {
        const ex = withOffers(() => executor({ maxWorkers: 2 }))
        // Async tasks; then synchronous ones of 2 ms, which threads offer to busy workers.
        const futures = Array.from({ length: 300 }, (_, i) => (round < 2 ? ex.submit(t.maybeCrash, i, round === 0 ? 0.01 : 0.002) : ex.submit(t.maybeCrashSync, i, 0.005, 0.002)))
        const results = await Promise.allSettled(futures)
        for (const [i, r] of results.entries()) {
          if (r.status === 'fulfilled') expect(r.value).toBe(i)
          else expect(r.reason).toBeInstanceOf(Broken)
        }
        await ex.shutdown()
      }
    })

    it('shutdown with thousands of queued tasks returns promptly', async () => {
      const ex = executor()
      const futures = Array.from({ length: 5000 }, () => ex.submit(t.sleep, 0.05))
      const start = performance.now()
      await ex.shutdown({ cancelFutures: true })
      expect(elapsed(start)).toBeLessThan(5)
      expect(futures.every((f: any) => f.done())).toBe(true)
    })
  })

  describe(`${kind} timeouts longer than a Node timer allows (issue 7 §4)`, () => {
    const MONTH = 2592000 // 30 days in seconds: more than 2^31 - 1 ms
    const pendingAfter = (p: PromiseLike<unknown>, ms: number): Promise<unknown> =>
      Promise.race([Promise.resolve(p).then(() => 'settled', () => 'settled'), new Promise((resolve) => setTimeout(resolve, ms, 'pending'))])

    it('future.result / exception and AsyncResult.get / wait wait, and then give the result', async () => {
      const ex = executor()
      const f = ex.submit(t.sleepThen, 0.6, 'late')
      const result = f.result(MONTH)
      const exception = f.exception(MONTH)
      expect(await pendingAfter(result, 200)).toBe('pending')
      expect(await result).toBe('late')
      expect(await exception).toBeNull()
      const p = pool()
      const r = p.applyAsync(t.sleepThen, [0.6, 'late'])
      const got = r.get(MONTH)
      const waited = r.wait(MONTH)
      expect(await pendingAfter(got, 200)).toBe('pending')
      expect(await got).toBe('late')
      await waited
      expect(r.ready()).toBe(true)
    })

    it('a per-task timeout of 30 days does not expire the task', async () => {
      const ex = executor()
      expect(await ex.submitWith({ timeout: MONTH }, t.sleepThen, 0.3, 'ran')).toBe('ran')
      const p = pool()
      expect(await p.applyAsync(t.sleepThen, [0.3, 'ran'], { timeout: MONTH })).toBe('ran')
    })

    it('wait(), asCompleted() and map() with a 30-day timeout wait for the results', async () => {
      const ex = executor()
      const slow = ex.submit(t.sleepThen, 0.4, 1)
      const { done, notDone } = await lib.wait([slow], { timeout: MONTH })
      expect([done.size, notDone.size]).toEqual([1, 0])
      const fs = [ex.submit(t.sleepThen, 0.3, 2), ex.submit(t.sleepThen, 0.3, 3)]
      const values: unknown[] = []
      for await (const f of lib.asCompleted(fs, MONTH)) values.push(await f.result())
      expect(values.sort()).toEqual([2, 3])
      expect(await collect(ex.map(t.sleepThen, [0.3, 0.3], [4, 5], { timeout: MONTH }))).toEqual([4, 5])
    })
  })

  describe(`${kind} numeric options are checked alike (issue 7 §4)`, () => {
    /** The error `fn` throws (or its promise rejects with). */
    const thrown = async (fn: () => unknown): Promise<Error & { code?: string }> => {
      try {
        await fn()
      } catch (error) {
        return error as Error & { code?: string }
      }
      throw new Error('nothing was thrown')
    }
    const expectTypeError = async (fn: () => unknown, shown: string): Promise<void> => {
      const error = await thrown(fn)
      expect(error).toBeInstanceOf(TypeError)
      expect(error.code).toBe('ERR_CONC_INVALID_ARG_TYPE')
      expect(error.message).toContain(shown)
    }

    it("a map of something that is not iterable is a TypeError naming the method and the value, as Python's 'int' object is not iterable", async () => {
      const p = pool()
      await expectTypeError(() => p.map(t.square, 5), 'map() argument 2 must be an iterable, got 5 (number)')
      await expectTypeError(() => p.mapAsync(t.square, { a: 1 }), 'map() argument 2 must be an iterable')
      await expectTypeError(() => p.starmap(t.add, 5), 'starmap() argument 2 must be an iterable')
      await expectTypeError(() => p.starmapAsync(t.add, null), 'starmap() argument 2 must be an iterable')
      await expectTypeError(() => p.imap(t.square, 5), 'imap() argument 2 must be an iterable')
      await expectTypeError(() => p.imapUnordered(t.square, undefined), 'imapUnordered() argument 2 must be an iterable')
      expect(await p.map(t.square, [1, 2])).toEqual([1, 4])
    })

    it("apply's and applyAsync's args that are not iterable (null included) are a TypeError, as Python's func(*None) is; left out, there are none", async () => {
      const p = pool()
      await expectTypeError(() => p.apply(t.add, null as never), 'apply() argument 2 must be an iterable, got null')
      await expectTypeError(() => p.applyAsync(t.add, 5 as never), 'applyAsync() argument 2 must be an iterable, got 5 (number)')
      expect(await p.apply(t.add, [1, 2])).toBe(3)
      expect(await p.apply(t.identity)).toBeUndefined()
    })

    it('options that are not an object, and callbacks that are not functions, are a TypeError before anything is submitted', async () => {
      const p = pool()
      const log = (): void => undefined
      await expectTypeError(() => p.applyAsync(t.square, [3], log as never), 'applyAsync() options must be an object, got [Function: log] (function)')
      await expectTypeError(() => p.map(t.square, [3], log as never), 'map() options must be an object')
      await expectTypeError(() => p.starmapAsync(t.add, [[1, 2]], 5 as never), 'starmap() options must be an object, got 5 (number)')
      await expectTypeError(() => p.imap(t.square, [3], 'x' as never), "imap() options must be an object, got 'x' (string)")
      await expectTypeError(() => p.applyAsync(t.square, [3], { callback: 5 as never }), 'callback must be a callable, got 5 (number)')
      await expectTypeError(() => p.mapAsync(t.square, [3], { errorCallback: {} as never }), 'errorCallback must be a callable')
      expect(await p.apply(t.square, [3])).toBe(9)
      expect(await p.map(t.square, [1, 2], null as never)).toEqual([1, 4])
    })

    it('a string chunksize is a TypeError showing the value and its type, in every map', async () => {
      const p = pool()
      const ex = executor()
      const xs = [1, 2, 3]
      await expectTypeError(() => p.map(t.square, xs, { chunksize: '2' }), "'2' (string)")
      await expectTypeError(() => p.mapAsync(t.square, xs, { chunksize: '2' }), "'2' (string)")
      await expectTypeError(() => p.starmap(t.add, [[1, 2]], { chunksize: '2' }), "'2' (string)")
      await expectTypeError(() => p.imap(t.square, xs, { chunksize: '3' }), "'3' (string)")
      await expectTypeError(() => collect(p.imapUnordered(t.square, xs, { chunksize: '3' })), "'3' (string)")
      await expectTypeError(() => ex.map(t.square, xs, { chunksize: '2' }), "'2' (string)")
      await expectTypeError(() => p.map(t.square, xs, { chunksize: 1.5 }), '1.5')
      // The pool still works: nothing was half-submitted.
      expect(await p.map(t.square, xs, { chunksize: 2 })).toEqual([1, 4, 9])
      await expect(p.map(t.square, xs, { chunksize: 0 })).rejects.toThrow(lib.ValueError)
    })

    it('worker counts, maxTasksPerChild and timeouts: TypeError for a non-number, ValueError out of range', async () => {
      await expectTypeError(() => new Pool({ processes: '2' }), "'2' (string)")
      await expectTypeError(() => new Executor({ maxWorkers: '2' }), "'2' (string)")
      await expectTypeError(() => new Executor({ maxWorkers: 1.5 }), '1.5')
      await expectTypeError(() => new Executor({ maxWorkers: 1, maxTasksPerChild: '1' }), "'1' (string)")
      await expectTypeError(() => new Pool({ processes: 1, maxTasksPerChild: '12' }), "'12' (string)")
      expect(() => new Pool({ processes: 1, maxTasksPerChild: 0 })).toThrow(lib.ValueError)
      expect(() => new Executor({ maxWorkers: 1, maxTasksPerChild: 0 })).toThrow('max_tasks_per_child must be >= 1')
      const ex = executor()
      const p = pool()
      await expectTypeError(() => ex.submitWith({ timeout: '5' }, t.square, 2), "'5' (string)")
      await expectTypeError(() => p.applyAsync(t.square, [2], { timeout: '5' }), "'5' (string)")
      const f = ex.submit(t.square, 3)
      await expectTypeError(() => f.result('5'), "'5' (string)")
      await expectTypeError(() => f.exception({}), '(object)')
      await expectTypeError(() => p.applyAsync(t.square, [2]).get('5'), "'5' (string)")
      await expectTypeError(() => lib.wait([f], { timeout: '5' }), "'5' (string)")
      await expectTypeError(() => ex.map(t.square, [1], { timeout: '5' }), "'5' (string)")
      const nan = await thrown(() => f.result(Number.NaN))
      expect(nan).toBeInstanceOf(lib.ValueError)
      await f
      expect(await f.result(-1)).toBe(9) // negative counts as 0, as Python's
    })
  })

  describe(`${kind} executor.map over several iterables (issue 7 §4)`, () => {
    it('zips the iterables and stops at the shortest, as Python map(fn, *iterables)', async () => {
      const ex = executor()
      expect(await collect(ex.map(t.add, [1, 2, 3], [10, 20]))).toEqual([11, 22])
      expect(await collect(ex.map(t.add, [1, 2, 3], new Set([10, 20, 30]), { chunksize: 2 }))).toEqual([11, 22, 33])
      function* naturals(): Generator<number> {
        for (let i = 0; ; i++) yield i
      }
      const xs = Array.from({ length: 40 }, (_, i) => i)
      expect(await collect(ex.map(t.pow, xs, naturals(), { chunksize: 7 }))).toEqual(xs.map((x) => x ** x))
      expect(await collect(ex.map(t.add, [], [1]))).toEqual([])
      expect(await collect(ex.map(t.add, 'ab', 'cd'))).toEqual(['ac', 'bd'])
    })

    it('a trailing options object is recognised; anything else that is not iterable is a TypeError naming it', async () => {
      const ex = executor()
      expect(await collect(ex.map(t.square, [1, 2], { chunksize: 1, timeout: null }))).toEqual([1, 4])
      expect(() => ex.map(t.add, [1, 2], 5)).toThrow(TypeError)
      expect(() => ex.map(t.add, [1, 2], 5)).toThrow(/argument 3/)
      expect(() => ex.map(t.add, 7, [1, 2])).toThrow(/argument 2/)
      expect(() => ex.map(t.add, [1, 2], { chunksize: 2, chunk: 3 })).toThrow(/'chunk'/)
      expect(() => ex.map(t.add, [1, 2], new Map(), { chunksize: 1 }, { chunksize: 1 })).toThrow(/argument 4/)
    })
  })

  describe(`${kind} map and imap over endless input: a bounded window (buffersize)`, () => {
    /** Counts the items a consumer took from it: 0, 1, 2, ... forever. */
    function naturals(): { readonly items: Generator<number>; readonly read: () => number; readonly closed: () => boolean } {
      let read = 0
      let closed = false
      function* items(): Generator<number> {
        try {
          for (;;) yield read++
        } finally {
          closed = true
        }
      }
      return { items: items(), read: () => read, closed: () => closed }
    }

    it('executor.map with buffersize reads the input as results are consumed; stopping early closes it', async () => {
      const ex = executor()
      const input = naturals()
      const seen: number[] = []
      for await (const y of ex.map(t.square, input.items, { buffersize: 4 })) {
        seen.push(y as number)
        if (seen.length === 30) break
      }
      expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i * i))
      expect(input.read()).toBeLessThanOrEqual(30 + 4)
      expect(input.closed()).toBe(true)
      const zipped = naturals()
      const sums: number[] = []
      for await (const s of ex.map(t.add, zipped.items, [10, 20, 30], { buffersize: 2, chunksize: 2 })) sums.push(s as number)
      expect(sums).toEqual([10, 21, 32])
      expect(zipped.closed()).toBe(true)
    })

    it('imap and imapUnordered with buffersize read endless input a window at a time', async () => {
      const p = pool()
      for (const method of ['imap', 'imapUnordered'] as const) {
        const input = naturals()
        const seen: number[] = []
        for await (const y of p[method](t.square, input.items, { buffersize: 3, chunksize: 5 })) {
          seen.push(y as number)
          if (seen.length === 40) break
        }
        if (method === 'imap') expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i * i))
        else expect(seen).toHaveLength(40)
        expect(input.read()).toBeLessThanOrEqual(40 + 3 * 5 + 5)
        expect(input.closed()).toBe(true)
      }
      // A finite input gives every result, in order for imap.
      const xs = Array.from({ length: 100 }, (_, i) => i)
      expect(await collect(p.imap(t.square, xs, { buffersize: 2, chunksize: 7 }))).toEqual(xs.map((x) => x * x))
      expect(((await collect(p.imapUnordered(t.square, xs, { buffersize: 1 }))) as number[]).sort((a, b) => a - b)).toEqual(xs.map((x) => x * x))
    })

    it('an imap with a buffersize accepted before close() gives all its results, then join() returns; executor.map after shutdown ends with RuntimeError', async () => {
      const xs = [1, 2, 3, 4, 5, 6]
      for (const early of [true, false]) {
        const p = pool({ processes: 2 })
        const it = p.imap(t.square, xs, { buffersize: 2 })
        const out: unknown[] = []
        if (!early) out.push((await it.next(20)).value)
        p.close()
        for (;;) {
          const r = await it.next(20)
          if (r.done === true) break
          out.push(r.value)
        }
        expect(out).toEqual(xs.map((x) => x * x))
        await p.join()
      }
      // Python 3.14: the buffered map's next submit after shutdown raises RuntimeError.
      const ex = executor({ maxWorkers: 2 })
      const results = ex.map(t.square, xs, { buffersize: 2 })
      expect((await results.next()).value).toBe(1)
      await ex.shutdown({ wait: false })
      const seen: unknown[] = []
      const error = await (async () => {
        for await (const y of results) seen.push(y)
      })().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(lib.RuntimeError)
      expect((error as Error).message).toBe('cannot schedule new futures after shutdown')
      expect(seen.length).toBeLessThan(xs.length - 1)
      expect(seen).toEqual(xs.slice(1, 1 + seen.length).map((x) => x * x))
    })

    it('buffersize is checked as Python checks it', async () => {
      const ex = executor()
      const p = pool()
      expect(() => ex.map(t.square, [1], { buffersize: 0 })).toThrow('buffersize must be None or > 0')
      expect(() => ex.map(t.square, [1], { buffersize: 0 })).toThrow(lib.ValueError)
      expect(() => ex.map(t.square, [1], { buffersize: '2' })).toThrow(TypeError)
      expect(() => p.imap(t.square, [1], { buffersize: -1 })).toThrow(lib.ValueError)
      expect(await collect(ex.map(t.square, [1, 2], { buffersize: null }))).toEqual([1, 4])
    })
  })

  describe.skipIf(backend.localWorkers === false)(`${kind} workers' output`, () => {
    it("everything a pool's workers print reaches a slow reader (a pipe read after 3 s, as by `| tee` or a log shipper)", async () => {
      const child = spawn(process.execPath, [fixture('pool-output.mjs')], {
        env: { ...process.env, CONC_BACKEND: backend.backendUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      // Counted in characters, not lines: two processes writing to one full pipe (non-blocking)
      // may each write part of a line, so lines can interleave; what must hold is that nothing
      // written is lost.
      let received = 0
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (received += chunk.length))
      let written = 0
      for (let i = 0; i < 2000; i++) written += `item ${i} ${'.'.repeat(200)}\n`.length
      // Not read for 3 s: the pipe fills (64 KiB) and the workers' writes wait in Node's queue,
      // past the 2 s a stopped worker gets to end by itself (a worker that said it stopped and
      // only hands over its output is not ended for it).
      child.stdout.pause()
      await new Promise((resolve) => setTimeout(resolve, 3000))
      child.stdout.resume()
      const code = await Promise.race([
        new Promise<number | null>((resolve) => child.once('close', resolve)),
        new Promise<string>((resolve) => setTimeout(resolve, 20_000, 'still open after 20 s')),
      ])
      child.kill('SIGKILL')
      expect(received).toBe(written)
      expect(stderr).toBe('done 2000\n')
      expect(code).toBe(0)
    }, 60_000)
  })

  describe(`${kind} ending workers with work in flight: the program goes on after the await`, () => {
    // Each program awaits the end of its workers, then prints `after`. A program whose event loop
    // empties while that await is pending stops there (exit code 13 under top-level await).
    it.each([
      ['pool-terminate', 'terminate() while a task runs, then join()', 'task -> CancelledError\n'],
      ['pool-close-terminate', 'close() then terminate() with tasks queued, then join()', 'settled 20\n'],
      // A dead worker breaks an executor only when the workers are this program's.
      ...(backend.localWorkers === false ? [] : [['executor-crash-shutdown', 'shutdown() after a worker died', `dying -> ${Broken.name}\nslow -> ${Broken.name}\n`]]),
      ['executor-init-shutdown', 'shutdown() after the initializer failed', `task -> ${Broken.name}\n`],
      ['pool-imap-break', 'break out of imapUnordered, then dispose', 'got '],
    ])('%s: %s', async (scenario, _what, before) => {
      const result = await runNode([fixture('pool-lifecycle.mjs'), scenario], { backendUrl: backend.backendUrl })
      expect(result.stderr).toBe('')
      expect(result.stdout).toContain(before)
      expect(result.stdout.endsWith('after\n')).toBe(true)
      expect(result.code).toBe(0)
    })

    it.each([
      ['imap', 'got 1\n'],
      ['imapUnordered', 'got '],
      ['map', 'caught leaving early\n'],
      ['executorMap', 'got 1\n'],
    ])('await using, leaving the block early from %s', async (scenario, before) => {
      const result = await runNode(['--import', 'tsx', fixture('pool-dispose.ts'), scenario], { backendUrl: backend.backendUrl })
      expect(result.stderr).toBe('')
      expect(result.stdout).toContain(before)
      expect(result.stdout.endsWith('after\n')).toBe(true)
      expect(result.code).toBe(0)
    }, testTimeoutFor(['--import', 'tsx']))
  })

  describe(`${kind} async tasks, big payloads, moved results (issue 9)`, () => {
    describe('tasks of 1 ms or more; on threads, with offers made whatever the CPU count (CONC_OFFERS=1)', () => {
      // A thread pool offers long tasks only while fewer workers are busy than there are CPUs:
      // forced on, the tests below check what offers keep of the pool's promises on any machine.
      let restore = (): void => {}
      beforeAll(() => {
        restore = setEnv('CONC_OFFERS', '1')
      })
      afterAll(() => restore())

      itLocal('a task measured at 1 ms or more that waits for a busy worker is still pending: cancel() takes it back, running() turns true when it starts', async () => {
        const ex = executor({ maxWorkers: 1 })
        await ex.submit(t.spin, 0.2) // the pool learns what the function costs: 200 ms
        const futures = Array.from({ length: 3 }, () => ex.submit(t.spin, 0.2))
        await new Promise((resolve) => setTimeout(resolve, 0))
        // Threads may offer the second to the busy worker (it runs it only if it claims it first);
        // processes keep it queued. Either way it is pending until the worker starts it.
        expect(futures.map((f: any) => f.running())).toEqual([true, false, false])
        expect(futures[2]?.cancel()).toBe(true)
        await futures[0]
        await waitFor(() => futures[1]?.running() === true)
        expect(futures[1]?.cancel()).toBe(false)
        expect(await futures[1]).toBe(0.2)
        expect(futures[2]?.cancelled()).toBe(true)
      })

      itLocal('a task measured at 1 ms or more cancelled while the only one waiting for a busy worker never runs', async () => {
        const ex = executor({ maxWorkers: 1 })
        await ex.submit(t.spinIdent, 0.5)
        const start = performance.now()
        const [first, second, third] = Array.from({ length: 3 }, () => ex.submit(t.spinIdent, 0.5))
        await new Promise((resolve) => setTimeout(resolve, 50))
        expect(second.cancel()).toBe(true)
        expect(second.cancelled()).toBe(true)
        expect((await first)[1]).toBe(0.5)
        expect((await third)[1]).toBe(0.5)
        // 1 s for the two that ran; 1.5 s had the cancelled one run too.
        expect(elapsed(start)).toBeLessThan(1.3)
        await expect(second.result()).rejects.toBeInstanceOf(lib.CancelledError)
      })

      itLocal('tasks of uneven cost, each measured at 1 ms or more, do not wait behind a long one while a worker is free', async () => {
        const ex = executor({ maxWorkers: 2 })
        // Both workers start, and the pool learns that the function costs 1 ms or more.
        await Promise.all([ex.submit(t.spinIdent, 0.05), ex.submit(t.spinIdent, 0.05)])
        const start = performance.now()
        const results = await Promise.all([2, 0.1, 1, 0.1, 0.1, 0.1].map((s) => ex.submit(t.spinIdent, s)))
        // The 1 s task runs on the worker that is not running the 2 s one: 2 s in all, not 3.
        expect(results[2]?.[0]).not.toBe(results[0]?.[0])
        expect(elapsed(start)).toBeLessThan(2.6)
      })

      itLocal('a task measured at 1 ms or more that waits for busy workers runs on the first one free, before the tasks submitted after it', async () => {
        const ex = executor({ maxWorkers: 2 })
        await Promise.all([ex.submit(t.spinIdent, 0.05), ex.submit(t.spinIdent, 0.05)])
        const start = performance.now()
        const a1 = ex.submit(t.spinIdent, 2)
        const a2 = ex.submit(t.spinIdent, 0.2)
        const x = ex.submit(t.spinIdent, 0.3)
        const later = Array.from({ length: 3 }, () => ex.submit(t.spinIdent, 0.3))
        const [xBy] = await x
        // On a2's worker, free at 0.2 s: done at 0.5 s, not 2.3 s after a1 on the other one.
        expect(elapsed(start)).toBeLessThan(1.5)
        expect(xBy).toBe((await a2)[0])
        expect(xBy).not.toBe((await a1)[0])
        expect((await Promise.all(later)).map(([, s]: [number, number]) => s)).toEqual([0.3, 0.3, 0.3])
      })

      itLocal('more workers start for tasks measured at 1 ms or more that wait for busy ones', async () => {
        const ex = executor({ maxWorkers: 3 })
        await ex.submit(t.spinIdent, 0.05) // one worker; the function costs 50 ms
        const start = performance.now()
        const a = ex.submit(t.spinIdent, 3)
        const b = ex.submit(t.spinIdent, 1)
        await new Promise((resolve) => setImmediate(resolve))
        const c = ex.submit(t.spinIdent, 1)
        const [cBy] = await c
        // A third worker started for it: it waited neither for b's worker (2 s) nor for a's (3 s).
        expect(elapsed(start)).toBeLessThan(1.9)
        expect(cBy).not.toBe((await a)[0])
        expect(cBy).not.toBe((await b)[0])
        expect(ex.workerIds.length).toBe(3)
      })

      itLocal('a worker ended by a task timeout is replaced for a task of 1 ms or more that waits for a busy one', async () => {
        const ex = executor({ maxWorkers: 2 })
        await Promise.all([ex.submit(t.spinIdent, 0.05), ex.submit(t.spinIdent, 0.05)])
        const start = performance.now()
        const long = ex.submit(t.spinIdent, 3)
        const timed = ex.submitWith({ timeout: 0.3 }, t.spinIdent, 2)
        await new Promise((resolve) => setImmediate(resolve))
        const waiting = ex.submit(t.spinIdent, 0.1)
        await expect(timed).rejects.toBeInstanceOf(lib.TimeoutError)
        const [by] = await waiting
        // On the worker that replaced the timed one, not after the 3 s task.
        expect(elapsed(start)).toBeLessThan(2)
        expect(by).not.toBe((await long)[0])
      })

      itLocal('a task measured at 1 ms or more goes to a worker that has just started rather than wait for a busy one', async () => {
        const ex = executor({ maxWorkers: 2 })
        await ex.submit(t.spinIdent, 0.05) // one worker; the function costs 50 ms
        expect(ex.workerIds.length).toBe(1)
        const long = ex.submit(t.spinIdent, 1.5)
        const short = ex.submit(t.spinIdent, 0.05)
        const [shortBy] = await short
        // A second worker started for it; it did not wait 1.5 s behind the long task.
        expect(long.done()).toBe(false)
        expect(shortBy).not.toBe((await long)[0])
      })

      itLocal('shutdown({ cancelFutures }) also cancels a task measured at 1 ms or more that was waiting for a busy worker', async () => {
        const ex = executor({ maxWorkers: 1 })
        await ex.submit(t.spin, 0.2)
        const running = ex.submit(t.spin, 0.2)
        const waiting = ex.submit(t.spin, 0.2)
        await new Promise((resolve) => setTimeout(resolve, 50))
        await ex.shutdown({ cancelFutures: true })
        expect(await running).toBe(0.2)
        expect(waiting.cancelled()).toBe(true)
      })

      itLocal('worker processes are sent the next long task of a function whose calls take about the same time while many are queued; threads keep offering it', async () => {
        const ex = executor({ maxWorkers: 1 })
        // Calls of 50 ms until the pool has measured four in a row within a quarter of their
        // average (a call stretched by the machine's load starts the count again): then, on
        // processes, the second of six goes to the busy worker, and counts as running, as the calls
        // Python's ProcessPoolExecutor queues for its processes; on threads it is only offered.
        const ahead = kind === 'process'
        for (let i = 0; i < 5; i++) await ex.submit(t.spin, 0.05)
        let steady: any[] = []
        for (let attempt = 0; attempt < (ahead ? 8 : 1); attempt++) {
          steady = Array.from({ length: 6 }, () => ex.submit(t.spin, 0.05))
          await new Promise((resolve) => setTimeout(resolve, 10))
          if (steady[1].running() === ahead) break
          await Promise.all(steady)
        }
        expect(steady.map((f: any) => f.running())).toEqual([true, ahead, false, false, false, false])
        expect(steady[1]?.cancel()).toBe(!ahead)
        // The last one waits here while fewer than two are queued: pending when the fourth ends.
        let lastRunning: boolean | undefined
        steady[3].addDoneCallback(() => (lastRunning = steady[5].running()))
        await steady[3]
        expect(lastRunning).toBe(false)
        expect(await Promise.all(steady.slice(ahead ? 0 : 2))).toEqual(Array(ahead ? 6 : 4).fill(0.05))

        // A thread pool without offers does not send it ahead either: that is for worker processes.
        if (!ahead) {
          const plain = withEnv('CONC_OFFERS', '0', () => executor({ maxWorkers: 1 }))
          for (let i = 0; i < 8; i++) await plain.submit(t.spin, 0.05)
          const calls = Array.from({ length: 6 }, () => plain.submit(t.spin, 0.05))
          await new Promise((resolve) => setTimeout(resolve, 10))
          expect(calls.map((f: any) => f.running())).toEqual([true, false, false, false, false, false])
          await Promise.all(calls)
        }

        // Calls of uneven cost (60 ms, then 5 ms): none is sent ahead.
        const uneven = executor({ maxWorkers: 1 })
        for (let i = 0; i < 6; i++) await uneven.submit(t.spin, i % 2 === 0 ? 0.06 : 0.005)
        const varied = Array.from({ length: 6 }, (_, i) => uneven.submit(t.spin, i % 2 === 0 ? 0.06 : 0.005))
        await new Promise((resolve) => setTimeout(resolve, 10))
        expect(varied.map((f: any) => f.running())).toEqual([true, false, false, false, false, false])
        expect(varied[1]?.cancel()).toBe(true)
        expect(await Promise.all(varied.filter((_, i) => i !== 1))).toEqual([0.06, 0.06, 0.005, 0.06, 0.005])
      })

      itLocal('a steady function\'s task is not sent ahead behind a call of another function, nor to a busy worker while one is still starting', async () => {
        const ex = executor({ maxWorkers: 2 })
        for (let i = 0; i < 6; i++) await ex.submit(t.spinIdent, 0.05) // one worker so far; 50 ms a call
        // Another function's long call on the one worker, then the steady function's calls: none
        // goes behind it; they wait for the second worker, which starts for them.
        const other = ex.submit(t.spinThenExit, 1, false)
        await new Promise((resolve) => setTimeout(resolve, 10))
        const started = performance.now()
        const calls = Array.from({ length: 6 }, () => ex.submit(t.spinIdent, 0.05))
        await Promise.all(calls)
        expect(other.done()).toBe(false)
        expect(elapsed(started)).toBeLessThan(0.9)
        expect(await other).toBe(1)
      })

      itLocal('a task measured at 1 ms or more does not go out in the batch of a shorter function: it stays pending, and can be cancelled', async () => {
        const ex = executor({ maxWorkers: 1 })
        await ex.submit(t.spinThenExit, 0.2, false) // the pool learns what each function costs: 200 ms…
        await ex.submit(t.spin, 0.0001) // …and next to nothing (the next call of it takes 300 ms)
        const first = ex.submit(t.spin, 0.0001)
        const short = ex.submit(t.spin, 0.3)
        const longs = Array.from({ length: 4 }, () => ex.submit(t.spinThenExit, 0.2, false))
        await first
        await waitFor(() => short.running())
        expect(longs.map((f: any) => f.running())).toEqual([false, false, false, false])
        expect(longs[0]?.cancel()).toBe(true)
        expect(await short).toBe(0.3)
        expect(await Promise.all(longs.slice(1))).toEqual([0.2, 0.2, 0.2])
        expect(longs[0]?.cancelled()).toBe(true)
      })

      itLocal('a task measured at 1 ms or more is not committed to a worker that has just been given a short one', async () => {
        // The worker is replaced after 2 tasks, so the next three wait for a new one and go out
        // when it is ready: the short one (measured short, this call takes 300 ms), not the long ones.
        const ex = executor({ maxWorkers: 1, maxTasksPerChild: 2 })
        await ex.submit(t.spinThenExit, 0.2, false)
        await ex.submit(t.spin, 0.0001)
        const short = ex.submit(t.spin, 0.3)
        const longs = [ex.submit(t.spinThenExit, 0.2, false), ex.submit(t.spinThenExit, 0.2, false)]
        await waitFor(() => short.running())
        expect(longs.map((f: any) => f.running())).toEqual([false, false])
        expect(longs[0]?.cancel()).toBe(true)
        expect(await short).toBe(0.3)
        expect(await longs[1]).toBe(0.2)
        expect(longs[0]?.cancelled()).toBe(true)
      })
    })

    itLocal('async tasks overlap in a worker, up to concurrentTasksPerWorker; 1 runs them one at a time', async () => {
      const ex = executor({ maxWorkers: 1 })
      let start = performance.now()
      // 20 tasks of 0.3 s on one worker: 6 s one after another.
      const peaks = await Promise.all(Array.from({ length: 20 }, () => ex.submit(t.peakConcurrency, 0.3)))
      expect(elapsed(start)).toBeLessThan(3)
      expect(Math.max(...peaks)).toBeGreaterThan(1)
      expect(ex.workerIds.length).toBe(1)
      const bounded = executor({ maxWorkers: 1, concurrentTasksPerWorker: 3 })
      const bpeaks = await Promise.all(Array.from({ length: 12 }, () => bounded.submit(t.peakConcurrency, 0.1)))
      expect(Math.max(...bpeaks)).toBe(3)
      const one = pool({ processes: 1, concurrentTasksPerWorker: 1 })
      start = performance.now()
      expect(await one.map(t.peakConcurrency, [0.1, 0.1, 0.1, 0.1])).toEqual([1, 1, 1, 1])
      expect(elapsed(start)).toBeGreaterThanOrEqual(0.35)
    })

    itLocal('a slow async task does not hold back the results of tasks sent after it', async () => {
      const ex = executor({ maxWorkers: 1 })
      await ex.submit(t.sleepThen, 0.01, 'warm') // the engine learns the function is async
      const slow = ex.submit(t.sleepThen, 3, 'slow')
      const fast = Array.from({ length: 30 }, (_, i) => ex.submit(t.sleepThen, 0.05, i))
      expect(await Promise.all(fast)).toEqual(Array.from({ length: 30 }, (_, i) => i))
      expect(slow.done()).toBe(false)
      expect(await slow).toBe('slow')
    })

    itLocal('a task with a signal or a timeout runs alone on its worker, even among async tasks', async () => {
      const ex = executor({ maxWorkers: 1, concurrentTasksPerWorker: 8 })
      const ac = new AbortController()
      const others = Array.from({ length: 6 }, () => ex.submit(t.peakConcurrency, 0.2))
      const alone = ex.submitWith({ signal: ac.signal }, t.peakConcurrency, 0.2)
      const timed = ex.submitWith({ timeout: 10 }, t.peakConcurrency, 0.2)
      const after = Array.from({ length: 6 }, () => ex.submit(t.peakConcurrency, 0.2))
      expect(await alone).toBe(1)
      expect(await timed).toBe(1)
      expect(Math.max(...(await Promise.all([...others, ...after])))).toBeGreaterThan(1)
    })

    itLocal('a worker death fails only the tasks running on it, at most concurrentTasksPerWorker', async () => {
      const p = pool({ processes: 2, concurrentTasksPerWorker: 3 })
      const items = [1, 2, 3, 4, -1, 5, 6, 7, 8, 9, 10, 11]
      const { values, errors } = await steps(p.imapUnordered(t.squareOrExit, items))
      for (const e of errors) expect(e).toBeInstanceOf(Broken)
      expect(errors.length).toBeGreaterThanOrEqual(1)
      expect(errors.length).toBeLessThanOrEqual(3)
      expect(values.length + errors.length).toBe(items.length)
    })

    it('big results come back right, failures at their place, whether tasks are sync or async', async () => {
      const ex = executor({ maxWorkers: 1 })
      const n = 60
      for (const [fn, extra] of [
        [t.bytesOrFailSync, []],
        [t.bytesOrFail, [0.001]],
      ] as const) {
        await settle(ex.submit(fn, 0, 8, ...extra)) // the engine learns the cost: later tasks go in batches
        const futures = Array.from({ length: n }, (_, i) => ex.submit(fn, i, 100_000, ...extra))
        const settled = await Promise.all(futures.map(settle))
        for (const [i, r] of settled.entries()) {
          if (i % 7 === 3) {
            expect(r.ok).toBe(false)
            expect((r.value as Error).message).toBe(`no bytes for ${i}`)
          } else {
            const bytes = r.value as Uint8Array
            expect(bytes.byteLength).toBe(100_000)
            expect(bytes[0]).toBe(i % 256)
            expect(bytes[99_999]).toBe(i % 256)
          }
        }
      }
      // map chunks of results over the same bound.
      const chunks = await collect(ex.map(t.bytesOrFailSync, [0, 1, 2, 4, 5, 6, 7, 8], Array(8).fill(100_000), { chunksize: 4 }))
      expect(chunks.map((b) => (b as Uint8Array)[0])).toEqual([0, 1, 2, 4, 5, 6, 7, 8])
    })

    itLocal('big arguments go to a worker a few at a time, not all in one message', async () => {
      const ex = executor({ maxWorkers: 1 })
      await ex.submit(t.byteLength, new Uint8Array(8)) // cheap: without a bound, many would share a batch
      const futures = Array.from({ length: 40 }, () => ex.submit(t.byteLength, new Uint8Array(1024 * 1024)))
      await new Promise((resolve) => setTimeout(resolve, 0))
      // Each 1 MiB task goes alone; at most two batches are in flight on a worker.
      expect(futures.filter((f: any) => f.running()).length).toBeLessThanOrEqual(2)
      expect(await Promise.all(futures)).toEqual(Array.from({ length: 40 }, () => 1024 * 1024))
    })

    it(`a result returned with move() is ${kind === 'thread' ? 'moved' : 'copied'} back, also from map`, async () => {
      const ex = executor({ maxWorkers: 1 })
      const bytes = (await ex.submit(t.movedBytes, 4096, 7)) as Uint8Array
      expect(bytes).toBeInstanceOf(Uint8Array)
      expect(bytes.byteLength).toBe(4096)
      expect(bytes[4095]).toBe(7)
      // Moved: the worker's buffer is detached. Copied: the worker keeps its own. (Remote
      // workers are shared: the next task may run on another one.)
      if (backend.localWorkers !== false) expect(await ex.submit(t.lastMovedLength)).toBe(kind === 'thread' ? 0 : 4096)
      const mapped = await collect(ex.map(t.movedBytes, [16, 32, 64], [1, 2, 3], { chunksize: 2 }))
      expect(mapped.map((b) => [(b as Uint8Array).byteLength, (b as Uint8Array)[0]])).toEqual([
        [16, 1],
        [32, 2],
        [64, 3],
      ])
      // submitWith({ transfer }) moves arguments as before.
      const buffer = new ArrayBuffer(2048)
      expect(await ex.submitWith({ transfer: [buffer] }, t.byteLength, buffer)).toBe(2048)
      expect(buffer.byteLength).toBe(kind === 'thread' ? 0 : 2048)
    })

    it('concurrentTasksPerWorker is checked like the other counts', () => {
      expect(() => new Executor({ concurrentTasksPerWorker: 0 })).toThrow(lib.ValueError)
      expect(() => new Pool({ concurrentTasksPerWorker: 'x' })).toThrow(TypeError)
    })

    // glibc gives back to the system the memory of big blocks once it trims at twice the largest one
    // freed so far: with payloads of 1 MiB in flight, every copy faulted fresh pages in. The pool
    // raises that point at its first big payload (internal/big-blocks.ts); CONC_NO_ALLOCATOR_HINT=1
    // is the behaviour before.
    const glibc = process.platform === 'linux' && typeof (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime === 'string'
    ;(backend.localWorkers === false || !glibc ? it.skip : it)(
      'after a big argument or result, freed blocks of 1 MiB are reused, in the workers and in the program (glibc)',
      async () => {
        const faults = async (scenario: string, env: NodeJS.ProcessEnv): Promise<number> => {
          const result = await runNode(['--expose-gc', fixture('pool-allocator.mjs'), scenario], { backendUrl: backend.backendUrl, env })
          expect(result.stderr).toBe('')
          return (JSON.parse(result.stdout) as { faults: number }).faults
        }
        // Three rounds of 24 blocks of 1 MiB: 18,432 pages when every round faults them in again.
        // In a worker given a big argument, in the program after a big result, in the worker that made it.
        // The same with the block inside a plain object (`{ name, data }`), argument and result.
        // Without the hint, whether glibc gives the blocks back depends on what else of the process
        // lies above them in its heap at that moment: once in a full CI run (2026-11-28) the
        // 'nested-results' baseline found them kept (12 faults) on both backends. The baseline only
        // shows that the scenario can fault; it is measured again, up to three times, until it does.
        const baseline = async (scenario: string): Promise<number> => {
          let most = 0
          for (let attempt = 0; attempt < 3 && most <= 9_000; attempt++) most = Math.max(most, await faults(scenario, { CONC_NO_ALLOCATOR_HINT: '1' }))
          return most
        }
        for (const scenario of ['args', 'results', 'made', 'nested-args', 'nested-results']) {
          expect(await baseline(scenario), scenario).toBeGreaterThan(9_000)
          expect(await faults(scenario, { CONC_NO_ALLOCATOR_HINT: '' }), scenario).toBeLessThan(2_000)
        }
      },
      testTimeoutFor([]) * 2,
    )
  })

  describe(`${kind} pool: worker deaths, failing initializers, imap after a failure`, () => {
    itLocal('a worker that ends during a long synchronous task fails that task only: the queued ones run on its replacement', async () => {
      const p = pool({ processes: 1 })
      // The pool learns what the function costs, 50 ms a call, every call: an executor of worker
      // processes would send the next call ahead to the busy worker; a pool does not, since it
      // replaces a worker that dies and a call sent ahead would fail without having started.
      for (let i = 0; i < 5; i++) await p.apply(t.spinThenExit, [0.05, false])
      const exits = [false, false, true, false, false, false, false]
      const settled = await Promise.allSettled(exits.map((exit) => p.applyAsync(t.spinThenExit, [0.05, exit])))
      // A task of 1 ms or more goes to a worker with nothing else to run, so none waited behind
      // the one that ended its worker.
      expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'])
      expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(Broken)
      expect(p.workerIds.length).toBe(1)
    })

    itLocal('survives workers killed at random under load, also right after they start: only their tasks fail', async () => {
      // Deaths come from tasks that end their worker, from an initializer that ends its worker
      // now and then (before it is ready), and, for processes, from SIGKILLs sent from outside to
      // random workers and to workers that have just started.
      // One task per worker at a time, so that a death fails at most two batches of one.
      const p = pool({ processes: 3, initializer: t.maybeExitInit, initargs: [0.1], concurrentTasksPerWorker: 1 })
      const n = 400
      const crashOn = Array.from({ length: n }, (_, i) => i).filter((i) => i % 67 === 7)
      const results = Array.from({ length: n }, (_, i) => p.applyAsync(t.workOrCrash, [i, crashOn, 0.005]))
      const all = Promise.allSettled(results)
      let finished = false
      void all.then(() => (finished = true))
      const killed = new Set<number>()
      if (kind === 'process') {
        const seen = new Set<number>()
        while (!finished && killed.size < 10) {
          await new Promise((resolve) => setTimeout(resolve, 10))
          const ids = (p.workerIds as number[]).filter((id) => !killed.has(id))
          const fresh = ids.filter((id) => !seen.has(id))
          for (const id of ids) seen.add(id)
          // Now and then a worker that has just appeared (not ready yet), or any worker.
          const victim = fresh.length > 0 && Math.random() < 0.3 ? fresh[0] : Math.random() < 0.05 ? ids[Math.floor(Math.random() * ids.length)] : undefined
          if (victim === undefined) continue
          killed.add(victim)
          try {
            process.kill(victim, 'SIGKILL')
          } catch {
            // it has just ended on its own
          }
        }
      }
      const settled = await all
      let failedOthers = 0
      for (const [i, r] of settled.entries()) {
        if (r.status === 'fulfilled') expect((r.value as [number, number])[0]).toBe(i)
        else {
          expect(r.reason).toBeInstanceOf(Broken)
          if (!crashOn.includes(i)) failedOthers++
        }
      }
      for (const i of crashOn) expect(settled[i]?.status).toBe('rejected')
      // A death fails only the tasks on that worker: these 5 ms tasks travel one at a time, and at
      // most two batches are ever in flight on a worker.
      expect(failedOthers).toBeLessThanOrEqual(crashOn.length + 2 * killed.size)
      // The pool goes on: a full map afterwards, with a worker in every slot. (Once the last
      // deaths are noticed: a worker SIGKILLed just before the tasks settled may still be listed,
      // and the map's first tasks would go to it and fail with it.)
      expect(await waitFor(() => (p.workerIds as number[]).every((id) => !killed.has(id)), 10_000)).toBe(true)
      const xs = Array.from({ length: 200 }, (_, i) => i)
      expect(await p.map(t.square, xs)).toEqual(xs.map((x) => x * x))
      expect(p.workerIds.length).toBe(3)
    }, 60_000)

    itLocal('an initializer that keeps failing breaks the pool after 5 workers in a row, with its error as cause', async () => {
      const tmp = tempDir()
      try {
        const file = tmp.file('calls')
        const p = pool({ processes: 1, initializer: t.countedInit, initargs: [file, Infinity] })
        const error = (await settle(p.apply(t.square, [2]))).value as Error
        expect(error).toBeInstanceOf(Broken)
        expect(error.message).toMatch(/initializer failed/)
        expect(error.cause).toBeInstanceOf(Error)
        expect((error.cause as Error).message).toBe('init failure 5')
        expect(() => p.applyAsync(t.square, [2])).toThrow(Broken)
        p.close()
        await p.join()
        expect(readFileSync(file, 'utf8')).toBe('x\n'.repeat(5))
        // Failures that stop before the bound are retried, as Python's Pool retries them.
        const flaky = pool({ processes: 1, initializer: t.countedInit, initargs: [tmp.file('flaky'), 4] })
        expect(await flaky.apply(t.square, [3])).toBe(9)
        expect(await flaky.map(t.square, [1, 2, 3])).toEqual([1, 4, 9])
      } finally {
        tmp.cleanup()
      }
    })

    it('imap raises for a failed item and goes on with the next ones; so does imapUnordered', async () => {
      const p = pool()
      const it = p.imap(t.failAt, [1, 2, -3, 4, 5])
      const seen: unknown[] = []
      const error = await (async () => {
        for await (const y of it) seen.push(y)
      })().catch((e: unknown) => e)
      expect(seen).toEqual([1, 4])
      expect((error as Error).message).toBe('bad item -3')
      for await (const y of it) seen.push(y)
      expect(seen).toEqual([1, 4, 16, 25])
      expect(await it.next()).toEqual({ value: undefined, done: true })
      // A chunk that fails raises once, for the whole chunk; the next chunks follow.
      const chunked = await steps(p.imap(t.failAt, [1, 2, 3, -4, 5, 6, 7], { chunksize: 2 }))
      expect(chunked.all.map((x) => (x instanceof Error ? x.message : x))).toEqual([1, 4, 'bad item -4', 25, 36, 49])
      const unordered = await steps(p.imapUnordered(t.failAt, [1, -2, 3, -4, 5]))
      expect((unordered.values as number[]).sort((a, b) => a - b)).toEqual([1, 9, 25])
      expect(messages(unordered.errors).sort()).toEqual(['bad item -2', 'bad item -4'])
      // Calls made before the previous one settled each get their own result.
      for (const iterator of [p.imap(t.square, [1, 2, 3], { chunksize: 2 }), p.imapUnordered(t.square, [1, 2, 3])]) {
        const steps = await Promise.all([iterator.next(), iterator.next(), iterator.next(), iterator.next()])
        expect(steps.map((step: IteratorResult<number>) => step.value).slice(0, 3).sort()).toEqual([1, 4, 9])
        expect(steps[3]).toEqual({ value: undefined, done: true })
      }
    })

    it('a worker death in imap fails that item; the later items still run', async () => {
      // One task per worker at a time (the default runs these async tasks together on a worker).
      const p = pool({ concurrentTasksPerWorker: 1 })
      const items = [1, 2, -1, 3, 4, 5, 6, 7]
      for (const ordered of [true, false]) {
        const { values, errors } = await steps(ordered ? p.imap(t.squareOrExit, items) : p.imapUnordered(t.squareOrExit, items))
        for (const e of errors) expect(e).toBeInstanceOf(Broken)
        // The dying item, and at most one other that was on the same worker.
        expect(errors.length).toBeGreaterThanOrEqual(1)
        expect(errors.length).toBeLessThanOrEqual(2)
        expect(values.length + errors.length).toBe(items.length)
        for (const v of values) expect(items.map((x) => x * x)).toContain(v)
        if (ordered) expect(values.slice(-3)).toEqual([25, 36, 49])
      }
    })

    it('imap(...).next(timeout) throws TimeoutError after timeout seconds and keeps the item for the next call', async () => {
      const p = pool()
      // The first result takes 1 s: a TimeoutError (not the value) shows the wait ended first.
      const it = p.imap(t.sleep, [1, 0])
      let start = performance.now()
      await expect(it.next(0.15)).rejects.toBeInstanceOf(lib.TimeoutError)
      expect(elapsed(start)).toBeGreaterThanOrEqual(0.1)
      expect(await it.next()).toEqual({ value: 1, done: false })
      expect(await it.next(10)).toEqual({ value: 0, done: false })
      expect(await it.next(0)).toEqual({ value: undefined, done: true })
      const unordered = p.imapUnordered(t.sleep, [1])
      start = performance.now()
      await expect(unordered.next(0.15)).rejects.toBeInstanceOf(lib.TimeoutError)
      expect(elapsed(start)).toBeGreaterThanOrEqual(0.1)
      expect(await unordered.next(10)).toEqual({ value: 1, done: false })
      expect(await unordered.next(0)).toEqual({ value: undefined, done: true })
    })
  })

  describe(`${kind} pool (§5 F)`, () => {
    it('apply, map (± chunksize), starmap, mapAsync, starmapAsync equal the sequential results (F46)', async () => {
      const p = pool()
      const xs = Array.from({ length: 100 }, (_, i) => i)
      expect(await p.apply(t.add, [1, 2])).toBe(3)
      expect(await p.map(t.square, xs)).toEqual(xs.map((x) => x * x))
      expect(await p.map(t.square, xs, { chunksize: 20 })).toEqual(xs.map((x) => x * x))
      expect(await p.starmap(t.pow, [[2, 3], [3, 2]])).toEqual([8, 9])
      expect(await p.mapAsync(t.square, xs).get()).toEqual(xs.map((x) => x * x))
      expect(await p.starmapAsync(t.add, [[1, 1], [2, 2]]).get()).toEqual([2, 4])
    })

    it('applyAsync(...).get(timeout) on a long task throws TimeoutError after ≈timeout (F47)', async () => {
      const p = pool()
      const r = p.applyAsync(t.sleep, [1])
      const start = performance.now()
      await expect(r.get(0.2)).rejects.toBeInstanceOf(lib.TimeoutError)
      expect(elapsed(start)).toBeGreaterThanOrEqual(0.15)
      expect(r.ready()).toBe(false)
      expect(() => r.successful()).toThrow(lib.ValueError)
      await r.wait()
      expect(r.ready()).toBe(true)
      expect(r.successful()).toBe(true)
    })

    it('imap yields in order, imapUnordered the same multiset, also chunked (F48)', async () => {
      const p = pool()
      const xs = Array.from({ length: 1000 }, (_, i) => i)
      const squares = xs.map((x) => x * x)
      expect(await collect(p.imap(t.square, xs.slice(0, 10)))).toEqual(squares.slice(0, 10))
      expect(await collect(p.imap(t.square, xs, { chunksize: 100 }))).toEqual(squares)
      const unordered = (await collect(p.imapUnordered(t.square, xs, { chunksize: 53 }))) as number[]
      expect(unordered.sort((a, b) => a - b)).toEqual(squares)
    })

    it('errors from the input iterable and from tasks (F49)', async () => {
      const p = pool()
      function* items(): Generator<number> {
        yield 1
        yield 2
        yield 3
        throw new SyntaxError('bad iterable')
      }
      await expect(p.map(t.square, items())).rejects.toThrow('bad iterable')
      const seen: unknown[] = []
      const error = await (async () => {
        for await (const y of p.imap(t.square, items())) seen.push(y)
      })().catch((e: unknown) => e)
      expect(seen).toEqual([1, 4, 9])
      expect((error as Error).message).toBe('bad iterable')
      expect((error as Error).cause).toBeUndefined()
      const remote = (await settle(p.apply(t.throwCustom, ['x']))).value as Error
      expect(remote.name).toBe('CustomError')
      expect(remote.stack).toContain('pool-targets.mjs')
    })

    it('map is not fail-fast: the error comes once every item ran; close + join then return (F50)', async () => {
      // One task at a time per worker, as in Python: the 9 sleeps then take at least 0.4 s on 2 workers.
      const p = pool({ concurrentTasksPerWorker: 1 })
      const start = performance.now()
      const xs = Array.from({ length: 10 }, (_, i) => i)
      const results = await settle(p.starmap(t.failAt, xs.map((x) => [x, 0, 0.1]), { chunksize: 1 }))
      expect(results.ok).toBe(false)
      expect((results.value as Error).message).toBe('bad item 0')
      expect(elapsed(start)).toBeGreaterThanOrEqual(0.35)
      p.close()
      await p.join()
    })

    it("a pool's AsyncResult or an executor's Future given as a task's argument is refused, naming it (it used to arrive as {})", async () => {
      const p = pool()
      const ex = executor()
      const r = p.applyAsync(t.square, [3])
      const f = ex.submit(t.square, 4)
      const refused = await settle(p.apply(t.identity, [r]))
      expect(refused.ok).toBe(false)
      expect((refused.value as Error).message).toMatch(/^cannot send argument 0 \(an object of type AsyncResult\)/)
      expect(((await ex.submit(t.identity, f).exception()) as Error).message).toMatch(/^cannot send argument 0 \(an object of type Future\)/)
      // Awaited, they are their results.
      expect(await p.apply(t.identity, [await r])).toBe(9)
      expect(await ex.submit(t.identity, await f)).toBe(16)
    })

    it('callbacks get the result list or the error before wait() returns (F51); an unsendable result is MaybeEncodingError 20 times over', async () => {
      const p = pool()
      let got: unknown
      let failed: unknown
      // As Python's ApplyResult._set: the callback runs, then the waiters are released.
      await p.mapAsync(t.square, [1, 2, 3], { callback: (v: unknown) => (got = v) }).wait()
      expect(got).toEqual([1, 4, 9])
      await p.applyAsync(t.throwCustom, ['cb'], { errorCallback: (e: unknown) => (failed = e) }).wait()
      expect((failed as Error).name).toBe('CustomError')
      // ...and before `await` gives the result; null is no callback (Python's None).
      let seen: unknown
      expect(await p.applyAsync(t.square, [5], { callback: (v: unknown) => (seen = v), errorCallback: null })).toBe(25)
      expect(seen).toBe(25)
      expect(await p.mapAsync(t.square, [6], { callback: null })).toEqual([36])
      for (let i = 0; i < 20; i++) {
        const r = await settle(p.apply(t.unsendableResult))
        expect(r.value).toBeInstanceOf(lib.MaybeEncodingError)
      }
      expect(await p.apply(t.square, [7])).toBe(49)
    })

    it('validates its arguments; runs the initializer; empty input gives [] (F52)', async () => {
      expect(() => new Pool({ processes: 0 })).toThrow('Number of processes must be at least 1')
      expect(() => new Pool({ processes: -1 })).toThrow(lib.ValueError)
      for (const bad of [0, -1]) {
        expect(() => new Pool({ processes: 1, maxTasksPerChild: bad })).toThrow('maxtasksperchild must be a positive int or None')
      }
      // Python raises ValueError for 0.5 and '12' too; here a wrong type is a TypeError everywhere.
      for (const bad of [0.5, '12']) expect(() => new Pool({ processes: 1, maxTasksPerChild: bad })).toThrow(TypeError)
      expect(() => new Pool({ processes: 1, initializer: 3 })).toThrow('initializer must be a callable')
      const p = pool({ initializer: t.setInitValue, initargs: [7] })
      expect(await p.map(t.readInitValue as never, [1, 2, 3, 4], { chunksize: 1 })).toEqual([7, 7, 7, 7])
      // Python's Pool restarts a worker whose initializer fails, forever; this one breaks after 5 in a row.
      const bad = pool({ initializer: t.failingInit })
      const broken = (await settle(bad.apply(t.square, [2]))).value
      expect(broken).toBeInstanceOf(Broken)
      expect(() => bad.applyAsync(t.square, [2])).toThrow(Broken)
      expect(await p.map(t.square, [])).toEqual([])
      expect(await p.mapAsync(t.square, []).get()).toEqual([])
      expect(await collect(p.imap(t.square, []))).toEqual([])
      expect(await collect(p.imapUnordered(t.square, []))).toEqual([])
    })

    it('await using terminates; terminate with 10 000 queued tasks is prompt; join rules (F53)', async () => {
      let kept: any
      {
        await using p = new Pool({ processes: 1 })
        kept = p
        expect(await p.apply(t.square, [2])).toBe(4)
        await expect(p.join()).rejects.toThrow('Pool is still running')
      }
      expect(() => kept.mapAsync(t.square, [1])).toThrow('Pool not running')
      const p = pool()
      const results = Array.from({ length: 10_000 }, () => p.applyAsync(t.sleep, [0.2]))
      await new Promise((resolve) => setTimeout(resolve, 100))
      const start = performance.now()
      p.terminate()
      await p.join()
      expect(elapsed(start)).toBeLessThan(5)
      const settled = await Promise.allSettled(results)
      expect(settled.every((r) => r.status === 'fulfilled' || r.reason instanceof lib.CancelledError)).toBe(true)
    })

    itLocal('maxTasksPerChild replaces workers; with close + join before the end nothing hangs (F54)', async () => {
      const p = pool({ maxTasksPerChild: 10 })
      const before = new Set((await p.map(t.ident as never, Array.from({ length: 4 }), { chunksize: 1 })) as number[])
      const ids = new Set((await p.map(t.ident as never, Array.from({ length: 100 }), { chunksize: 1 })) as number[])
      expect([...ids].some((id) => !before.has(id))).toBe(true)
      const q = pool({ maxTasksPerChild: 1 })
      const r = q.mapAsync(t.square, [0, 1, 2, 3, 4, 5], { chunksize: 1 })
      q.close()
      await q.join()
      expect(await r.get(10)).toEqual([0, 1, 4, 9, 16, 25])
    })

    itLocal("map's default chunks end before 256 KiB of binary items: big items go one or a few to a task", async () => {
      // One task per worker: the workers that ran the items tell the chunks apart.
      const p = pool({ processes: 1, maxTasksPerChild: 1 })
      const sizes = [200, 200, 40, 40, 40, 300, 10, 10].map((k) => k * 1024)
      const out = (await p.map(t.identAndLength as never, sizes.map((n) => new Uint8Array(n)))) as [number, number][]
      expect(out.map(([, length]) => length)).toEqual(sizes)
      // ceil(8 / 4) = 2 items a chunk by count; by bytes [200] [200, 40] [40, 40] [300] [10, 10].
      const runs = out.map(([id]) => id).filter((id, i, ids) => i === 0 || id !== ids[i - 1])
      expect(runs).toHaveLength(5)
      expect(new Set(runs).size).toBe(5)
      // A chunksize given is kept, however big the items.
      const given = (await p.map(t.identAndLength as never, sizes.map((n) => new Uint8Array(n)), { chunksize: 4 })) as [number, number][]
      expect(new Set(given.map(([id]) => id)).size).toBe(2)
    })

    itLocal("map's default chunks also count the binary data inside plain objects and arrays of the items", async () => {
      // The same sizes as above, each buffer held by the item instead of being the item.
      const p = pool({ processes: 1, maxTasksPerChild: 1 })
      const sizes = [200, 200, 40, 40, 40, 300, 10, 10].map((k) => k * 1024)
      const chunks = async (items: unknown[]): Promise<number> => {
        const out = (await p.map(t.identAndDataLength as never, items)) as [number, number][]
        expect(out.map(([, length]) => length)).toEqual(sizes)
        return out.map(([id]) => id).filter((id, i, ids) => i === 0 || id !== ids[i - 1]).length
      }
      // By bytes [200] [200, 40] [40, 40] [300] [10, 10], as for bare buffers.
      expect(await chunks(sizes.map((n, i) => ({ name: `item ${i}`, data: new Uint8Array(n) })))).toBe(5)
      expect(await chunks(sizes.map((n, i) => [`item ${i}`, new Uint8Array(n)]))).toBe(5)
    })

    itLocal.each([
      ['async tasks', 'maybeCrash', [0.02]],
      ['synchronous tasks of 2 ms (offered to busy workers on threads)', 'maybeCrashSync', [0.03, 0.002]],
    ] as const)('a worker that dies fails only its own tasks and is replaced (nothing hangs): %s', async (_, name, rest) => {
      const p = withOffers(() => pool())
      const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => p.applyAsync(t[name], [i, ...rest])))
      for (const [i, r] of results.entries()) {
        if (r.status === 'fulfilled') expect(r.value).toBe(i)
        else expect(r.reason).toBeInstanceOf(Broken)
      }
      expect(await p.apply(t.square, [3])).toBe(9)
      expect(p.workerIds.length).toBe(2)
    })

    it('per-task signal and timeout on applyAsync', async () => {
      const p = pool({ processes: 1 })
      const ac = new AbortController()
      const r = p.applyAsync(t.sleep, [30], { signal: ac.signal })
      await new Promise((resolve) => setTimeout(resolve, 200))
      ac.abort()
      expect(((await settle(r)).value as Error).name).toBe('AbortError')
      const timed = await settle(p.applyAsync(t.sleep, [30], { timeout: 0.2 }))
      expect(timed.value).toBeInstanceOf(lib.TimeoutError)
      expect(await p.apply(t.square, [8])).toBe(64)
    })
  })

  // Issue 7 §2: primitives reach a pool task as working handles to the same objects. Not across
  // machines: there a primitive is refused at submit (the distributed suite tests that).
  describe.skipIf(backend.localWorkers === false)(`${kind} primitives as task arguments (issue 7 §2)`, () => {
    const handleUrl = new URL('../fixtures/handle-targets.mjs', import.meta.url).href
    const L = lib as unknown as Record<string, any>
    let h: Record<string, Fn>
    beforeAll(async () => {
      const mod = (await import(handleUrl)) as Record<string, unknown>
      h = {}
      for (const [name, value] of Object.entries(mod)) {
        if (typeof value === 'function') h[name] = lib.fromModule(value as Fn, handleUrl, name)
      }
    })
    const drain = async (queue: any, n: number): Promise<unknown[]> => {
      const items: unknown[] = []
      for (let i = 0; i < n; i++) items.push(await queue.get({ timeout: 20 }))
      return items
    }

    it('a Queue passed through every task entry point is the same queue', async () => {
      const queue = new L.Queue()
      const item = (name: string) => ({ queue, item: name })
      const ex = executor()
      const p = pool()
      const results: unknown[] = [
        await ex.submit(h.putItem, queue, 'submit'),
        await ex.submitWith({ timeout: 30 }, h.putItem, queue, 'submitWith'),
        ...(await collect(ex.map(h.putFrom, [item('map')]))),
        ...(await collect(ex.map(h.putFrom, [item('map chunk a'), item('map chunk b')], { chunksize: 2 }))),
        await p.apply(h.putItem, [queue, 'apply']),
        await p.applyAsync(h.putItem, [queue, 'applyAsync']).get(30),
        ...(await p.map(h.putFrom, [item('pool map')])),
        ...(await p.mapAsync(h.putFrom, [item('mapAsync')]).get(30)),
        ...(await p.starmap(h.putItem, [[queue, 'starmap']])),
        ...(await p.starmapAsync(h.putItem, [[queue, 'starmapAsync']]).get(30)),
        ...(await collect(p.imap(h.putFrom, [item('imap')]))),
        ...(await collect(p.imapUnordered(h.putFrom, [item('imapUnordered')]))),
      ]
      const names = ['submit', 'submitWith', 'map', 'map chunk a', 'map chunk b', 'apply', 'applyAsync', 'pool map', 'mapAsync', 'starmap', 'starmapAsync', 'imap', 'imapUnordered']
      expect(results).toEqual(names)
      expect((await drain(queue, names.length)).sort()).toEqual([...names].sort())
      expect(await queue.qsize()).toBe(0)
    }, 60_000)

    it("tasks given a Value (in their arguments or the initializer's) each run alone in their worker, so updates under its lock are never lost", async () => {
      // A Value's getLock() is an RLock, owned by the worker: async tasks running together in one
      // worker would all get in. Python's pools run one task per worker at a time.
      const value = new L.Value('i', 0)
      const p = pool({ processes: 1 })
      await Promise.all([1, 2, 3, 4].map(() => p.apply(h.countUnderLock, [value, 25])))
      expect(value.value).toBe(100)
      const ex = executor({ maxWorkers: 1 })
      await Promise.all([1, 2, 3, 4].map(() => ex.submit(h.countUnderLock, value, 25)))
      expect(value.value).toBe(200)
      const kept = new L.Value('i', 0)
      const q = pool({ processes: 1, initializer: h.keepCounter, initargs: [kept] })
      await Promise.all([1, 2, 3, 4].map(() => q.apply(h.countKept, [25])))
      expect(kept.value).toBe(100)
    })

    it('a Lock, an Event, a Value and every other primitive arrive as the same objects', async () => {
      const ex = executor()
      const p = pool()
      const lock = new L.Lock()
      expect(await ex.submit(h.takeLock, lock)).toBe(true)
      expect(await lock.locked()).toBe(true)
      expect(await p.apply(h.takeLock, [lock])).toBe(false)
      await lock.release()
      const event = new L.Event()
      expect(await p.apply(h.setEvent, [event])).toBe(true)
      expect(await event.isSet()).toBe(true)
      const value = new L.Value('i', 0)
      expect(await ex.submit(h.addTo, value, 5)).toBe(5)
      expect((await p.starmap(h.addTo, [[value, 1], [value, 1]])).sort()).toEqual([6, 7])
      expect(value.value).toBe(7)
      const [mine, theirs] = L.Pipe()
      const all = {
        rlock: new L.RLock(),
        semaphore: new L.Semaphore(1),
        bounded: new L.BoundedSemaphore(1),
        condition: new L.Condition(),
        barrier: new L.Barrier(1),
        joinable: new L.JoinableQueue(),
        simple: new L.SimpleQueue(),
        conn: theirs,
        array: new L.Array('i', 3),
      }
      const report = await ex.submit(h.useAll, all)
      expect(report).toEqual({
        names: ['RLock', 'Semaphore', 'BoundedSemaphore', 'Condition', 'Barrier', 'JoinableQueue', 'SimpleQueue', 'Connection', 'SharedArray'],
        rlockLocked: false,
        index: 0,
      })
      expect(await all.semaphore.getValue()).toBe(0)
      expect(await all.bounded.acquire(false)).toBe(false)
      expect(await all.joinable.get({ timeout: 5 })).toBe('joinable')
      expect(await all.simple.get()).toBe('simple')
      expect(await mine.recv()).toBe('conn')
      expect(all.array[0]).toBe(42)
    }, 60_000)

    it("a pipe end given to a task is the task's copy: with the parent's copy closed, what the task sent arrives, then EOFError once the task is done", async () => {
      const p = pool({ processes: 1 })
      const [reader, writer] = L.Pipe(false)
      const running = p.apply(h.sendThrough, [writer, ['a', 'b']])
      await writer.close()
      expect([await reader.recv(), await reader.recv()]).toEqual(['a', 'b'])
      expect(await running).toBe(2)
      await expect(reader.recv()).rejects.toBeInstanceOf(L.EOFError)
      // The worker lives on: a task that is done does not keep the end open.
      expect(await p.apply(h.sendThrough, [L.Pipe(false)[1], ['c']])).toBe(1)
      // Each task's copy is its own: one task closing it leaves the others' (and the program's) open.
      const [reader3, writer3] = L.Pipe(false)
      expect(await p.starmap(h.sendThenClose, [[writer3, 0], [writer3, 1], [writer3, 2], [writer3, 3]], { chunksize: 1 })).toEqual([0, 1, 2, 3])
      expect(await reader3.poll(0.2)).toBe(true)
      const sent = [await reader3.recv(), await reader3.recv(), await reader3.recv(), await reader3.recv()]
      expect(sent.sort()).toEqual([0, 1, 2, 3])
      expect(await reader3.poll(0.2)).toBe(false)
      await writer3.close()
      await expect(reader3.recv()).rejects.toBeInstanceOf(L.EOFError)
      // A closed end in initargs: refused at once; closed after the executor was made (its workers
      // start with the first task), no worker can start, and the pool says why.
      const [, closedEnd] = L.Pipe(false)
      await closedEnd.close()
      expect(() => executor({ initializer: h.keepGiven, initargs: [closedEnd] })).toThrow(L.OSError)
      const [, endLater] = L.Pipe(false)
      const unstartable = executor({ initializer: h.keepGiven, initargs: [endLater] })
      await endLater.close()
      const failure = (await unstartable.submit(h.sendThrough, L.Pipe(false)[1], []).then(
        () => undefined,
        (error: unknown) => error,
      )) as Error & { cause?: unknown }
      expect(failure).toBeInstanceOf(Broken)
      expect(failure.message).toMatch(/could not be started.*: handle is closed$/)
      expect(failure.cause).toBeInstanceOf(L.OSError)
      // A queued task keeps the end open; one cancelled before it was sent lets it go.
      const ex = executor({ maxWorkers: 1 })
      const busy = ex.submit(h.holdOnly, null, 3)
      const [reader2, writer2] = L.Pipe(false)
      const queued = ex.submit(h.sendThrough, writer2, ['never'])
      await writer2.close()
      expect(await reader2.poll(0.1)).toBe(false)
      expect(queued.cancel()).toBe(true)
      // At once, not when the worker is next free (3 s).
      expect(await reader2.poll(1)).toBe(true)
      await expect(reader2.recv()).rejects.toBeInstanceOf(L.EOFError)
      await busy
    }, 60_000)

    it('a worker ended while it holds a Lock taken in a task releases it (aborted, timed out, crashed)', async () => {
      const ex = executor()
      const p = pool()
      const endings: ((lock: any, ready: any) => Promise<{ ok: boolean; value: unknown }>)[] = [
        async (lock, ready) => {
          const ac = new AbortController()
          const f = ex.submitWith({ signal: ac.signal }, h.holdLock, lock, ready)
          expect(await ready.wait(30)).toBe(true)
          ac.abort()
          return settle(f)
        },
        async (lock, ready) => {
          const r = p.applyAsync(h.holdLock, [lock, ready], { timeout: 2 })
          expect(await ready.wait(30)).toBe(true)
          return settle(r)
        },
        async (lock, ready) => {
          const r = p.applyAsync(h.holdThenExit, [lock, ready])
          expect(await ready.wait(30)).toBe(true)
          return settle(r)
        },
      ]
      await captureWarnings(async (warnings) => {
        for (const end of endings) {
          const lock = new L.Lock()
          const ready = new L.Event()
          const outcome = await end(lock, ready)
          expect(outcome.ok).toBe(false)
          expect(await lock.acquire({ timeout: 10 })).toBe(true)
          await lock.release()
        }
        // Each release says so (captured here, not printed).
        expect(warnings.filter((w) => w.code === 'CONC_ABANDONED_LOCK')).toHaveLength(endings.length)
      })
      expect(await p.apply(t.square, [3])).toBe(9)
    }, 60_000)

    // A pool's workers live as long as the pool: what its tasks were given must not.
    describe('a new primitive for every task', () => {
      const memory = async (scenario: string): Promise<Record<string, any>> => {
        const result = await runNode(['--expose-gc', fixture('pool-memory.mjs'), scenario], { backendUrl: backend.backendUrl })
        expect(result.stderr).toBe('')
        return JSON.parse(result.stdout) as Record<string, any>
      }

      it('is freed once its task is done, in the program and in the worker', async () => {
        const { given, freedHere, freedInWorker, seenInWorker } = await memory('freed')
        expect(seenInWorker).toBe(given)
        expect(freedHere).toBeGreaterThanOrEqual(given * 0.9)
        expect(freedInWorker).toBeGreaterThanOrEqual(given * 0.9)
      }, testTimeoutFor([]))

      it('leaves the time per task flat (lock acquires do not get slower with every primitive ever given)', async () => {
        const { ms } = (await memory('pace')) as { ms: number[] }
        expect(ms).toHaveLength(4)
        // Generous: a loaded machine is noisy. Before the fix, processes went 31 -> 64 ms per task.
        expect(ms[3]).toBeLessThan((ms[0] as number) * 2.5 + 5)
      }, testTimeoutFor([]))

      it('a Lock a task took and kept is released when its worker dies later, after other tasks', async () => {
        expect(await memory('kept')).toEqual({ took: true, crashed: Broken.name, released: true, warnings: ['CONC_ABANDONED_LOCK'] })
      }, testTimeoutFor([]))
    })

    it('a Barrier given to pool tasks stays whole when the pool ends its workers normally (shutdown, close, maxTasksPerChild)', async () => {
      const barrier = new L.Barrier(2)
      const ex = executor({ maxWorkers: 1, maxTasksPerChild: 1 })
      expect(await ex.submit(h.holdOnly, barrier, 0)).toBeUndefined()
      expect(await ex.submit(h.holdOnly, barrier, 0)).toBeUndefined() // the first worker was replaced
      await ex.shutdown()
      const p = pool({ processes: 1 })
      expect(await p.apply(h.holdOnly, [barrier, 0])).toBeUndefined()
      p.close()
      await p.join()
      await new Promise((resolve) => setTimeout(resolve, 300)) // the owner recovers a process ~100 ms after its exit
      expect(await barrier.broken).toBe(false)
    }, 60_000)

    it('a worker stopped normally ends at once, even if a task left a timer running, or if it is stopped before it is ready', async () => {
      const barrier = new L.Barrier(2)
      // Tasks leave timers: each replacement (maxTasksPerChild) and the shutdown must not wait for them.
      const ex = executor({ maxWorkers: 1, maxTasksPerChild: 1 })
      for (let i = 0; i < 3; i++) expect(await ex.submit(h.leaveTimer, barrier)).toBe('left')
      await ex.shutdown()
      // Closed before its worker is ready: the stop must reach the worker all the same.
      const early = pool({ processes: 1, initializer: h.keepGiven, initargs: [barrier] })
      early.close()
      await early.join()
      await new Promise((resolve) => setTimeout(resolve, 300)) // the owner recovers a process ~100 ms after its exit
      // No worker was terminated after its grace period (a death, which breaks a Barrier): each
      // ended normally, at once.
      expect(await barrier.broken).toBe(false)
    }, 60_000)

    it('a Barrier in initargs stays whole when a Pool\'s initializer fails once and the pool starts another worker', async () => {
      const tmp = tempDir()
      try {
        const barrier = new L.Barrier(2)
        const p = pool({ processes: 1, initializer: h.failFirstInit, initargs: [tmp.file('calls'), barrier] })
        expect(await p.apply(t.square, [7])).toBe(49)
        expect(readFileSync(tmp.file('calls'), 'utf8')).toBe('xx')
        await new Promise((resolve) => setTimeout(resolve, 300)) // the owner recovers a process ~100 ms after its exit
        // The failed worker ended normally (it was not killed: a death, which breaks a Barrier).
        expect(await barrier.broken).toBe(false)
      } finally {
        tmp.cleanup()
      }
    }, 60_000)

    it('shutdown() right after the first submit stops a worker that is still starting normally; terminate() after close() does not wait for the stop', async () => {
      const barrier = new L.Barrier(2)
      // The worker is asked to stop before it is ready: the stop must reach it (no grace period,
      // no SIGTERM, which is a death and breaks the Barrier it was given).
      const ex = executor({ maxWorkers: 1, initializer: h.keepGiven, initargs: [barrier] })
      const future = ex.submit(t.square, 3)
      await ex.shutdown({ cancelFutures: true })
      expect(future.cancelled() || (await future) === 9).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 300)) // the owner recovers a process ~100 ms after its exit
      expect(await barrier.broken).toBe(false)
      // close() asks the worker to stop, with a 2 s grace period; it cannot hear it (its
      // initializer spins), and terminate() must end it at once all the same.
      const p = pool({ processes: 1, initializer: t.spin, initargs: [30] })
      p.close()
      await new Promise((resolve) => setTimeout(resolve, 100)) // the pool is idle: the stop is sent
      const started = performance.now()
      p.terminate()
      await p.join()
      expect(elapsed(started)).toBeLessThan(1.5)
    }, 60_000)
  })

  describe(`${kind} task functions from other modules (issue 8 §1)`, () => {
    it('executor and Pool find task functions and an initializer imported from other modules, re-exported, default, static, CommonJS, built in', async () => {
      // About ten units one after the other: as slow as a tsx program on a loaded machine.
      const result = await runNode([fixture('locator/main.mjs'), 'pools'], { backendUrl: backend.backendUrl, timeoutMs: TSX_PROGRAM_TIMEOUT_MS })
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe(
        [
          'imported@work.mjs',
          're-exported@work.mjs',
          'default default@work.mjs',
          'static@work.mjs+static@work.mjs',
          'commonjs@work.cjs',
          backend.localWorkers === false ? 'built-in: TargetNotFoundError' : 'built-in',
          'init@work.mjs',
          'error: true 4 work.mjs',
          'pool map@work.mjs',
          'pool apply@work.mjs+pool apply@work.mjs',
          '',
        ].join('\n'),
      )
    }, testTimeoutFor([], TSX_PROGRAM_TIMEOUT_MS))
  })

  describe(`${kind} task errors keep their class (issue 7 §3)`, () => {
    const errorsUrl = new URL('../fixtures/error-targets.mjs', import.meta.url).href
    let e: Record<string, Fn> & { QuotaError: new (...args: any[]) => Error }
    const classes = lib as unknown as Record<string, new (...args: any[]) => Error>

    beforeAll(async () => {
      const mod = (await import(errorsUrl)) as Record<string, unknown>
      e = { QuotaError: mod.QuotaError } as typeof e
      for (const [name, value] of Object.entries(mod)) {
        if (typeof value === 'function' && name !== 'QuotaError') e[name] = lib.fromModule(value as Fn, errorsUrl, name)
      }
    })

    it('@conc errors raised in a task arrive as their class, branded, with their code', async () => {
      const ex = executor()
      for (const [name, code] of [
        ['ValueError', 'ERR_CONC_VALUE'],
        ['RuntimeError', 'ERR_CONC_RUNTIME'],
        ['TargetNotFoundError', 'ERR_CONC_TARGET_NOT_FOUND'],
        ['TimeoutError', 'ERR_CONC_TIMEOUT'],
        ['Empty', 'ERR_CONC_EMPTY'],
      ] as const) {
        const error = (await ex.submit(e.throwConc, name, `a ${name}`).exception()) as Error & { code: string }
        expect(error).toBeInstanceOf(classes[name] as new () => Error)
        expect((lib as unknown as { isConcError(x: unknown): boolean }).isConcError(error)).toBe(true)
        expect(error.code).toBe(code)
        expect(error.message).toBe(`a ${name}`)
      }
      const p = pool()
      const failed = (await settle(p.apply(e.throwConc, ['ValueError', 'from a Pool']))).value
      expect(failed).toBeInstanceOf(lib.ValueError)
    })

    it('an error with a property that cannot be cloned, printed or read, or a thrown value that cannot, still arrives as itself (class, message), and the pool goes on', async () => {
      const ex = executor({ maxWorkers: 1 })
      const odd = (await ex.submit(e.throwOddBody).exception()) as Error & { limit: number; body: unknown }
      expect(odd).toBeInstanceOf(e.QuotaError)
      expect(odd.message).toBe('404 from upstream')
      expect(odd.limit).toBe(3)
      expect(typeof odd.body).toBe('string')
      const lazy = (await ex.submit(e.throwLazyField).exception()) as Error & { details: unknown }
      expect(lazy.message).toBe('real problem')
      expect(String(lazy.details)).toMatch(/details not loaded/)
      const value = await ex.submit(e.throwOddValue).exception()
      expect(typeof value).toBe('string')
      expect(await ex.submit(t.square, 7)).toBe(49)
      const p = pool()
      expect(((await settle(p.apply(e.throwOddBody, []))).value as Error).message).toBe('404 from upstream')
      expect(await p.apply(t.square, [8])).toBe(64)
    })

    it('an error that refers to itself arrives referring to itself (in its properties and as its cause), as pickle keeps the reference', async () => {
      const ex = executor({ maxWorkers: 1 })
      const error = (await ex.submit(e.throwSelfReferring).exception()) as Error & { self: unknown; list: unknown[]; info: { owner: unknown; n: number } }
      expect(error.message).toBe('me')
      expect(error.self).toBe(error)
      expect(error.list).toEqual([1, error])
      expect(error.list[1]).toBe(error)
      expect(error.info.owner).toBe(error)
      expect(error.info.n).toBe(2)
      expect(error.cause).toBe(error)
    })

    it('a user error class arrives as that class with its properties and methods; an unexported one as Error with its name', async () => {
      const ex = executor({ maxWorkers: 1 })
      const [quota, later, hidden] = await Promise.all([
        ex.submit(e.throwQuota, 9).exception(),
        ex.submit(e.rejectQuota, 5).exception(),
        ex.submit(e.throwPrivate).exception(),
      ])
      expect(quota).toBeInstanceOf(e.QuotaError)
      expect((quota as { remaining(n: number): number }).remaining(4)).toBe(5)
      expect((quota as { limit: number }).limit).toBe(9)
      expect(later).toBeInstanceOf(e.QuotaError)
      expect((hidden as Error).constructor).toBe(Error)
      expect((hidden as Error).name).toBe('PrivateError')
      expect((hidden as { secret: number }).secret).toBe(7)
      // A batch of results with failures settles in order, every error with its class.
      const settled = await Promise.allSettled([1, 2, 3, 4].map((i) => (i % 2 === 0 ? ex.submit(e.throwQuota, i) : ex.submit(t.square, i))))
      expect(settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { limit: number }).limit))).toEqual([1, 2, 9, 4])
      expect(settled.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof e.QuotaError)).toBe(true)
      const p = pool()
      const errors: unknown[] = []
      await p.applyAsync(e.throwQuota, [3], { errorCallback: (err: unknown) => errors.push(err) }).wait()
      expect(errors[0]).toBeInstanceOf(e.QuotaError)
    })

    it('cause chains and AggregateError members keep their classes', async () => {
      const ex = executor()
      const chain = (await ex.submit(e.throwChain).exception()) as Error & { cause: Error & { cause: Error } }
      expect(chain).toBeInstanceOf(e.QuotaError)
      expect(chain.cause).toBeInstanceOf(lib.ValueError)
      expect(chain.cause.cause).toBeInstanceOf(RangeError)
      const aggregate = (await ex.submit(e.throwAggregate).exception()) as AggregateError
      expect(aggregate).toBeInstanceOf(AggregateError)
      expect(aggregate.errors[0]).toBeInstanceOf(e.QuotaError)
      expect(aggregate.errors[1]).toBeInstanceOf(lib.ValueError)
      expect(aggregate.errors[2]).toBeInstanceOf(TypeError)
    })

    it("a failing initializer's error keeps its class as the cause of the broken executor", async () => {
      const bad = executor({ maxWorkers: 1, initializer: e.throwQuota, initargs: [2] })
      const error = (await bad.submit(t.square, 2).exception()) as Error
      expect(error).toBeInstanceOf(lib.BrokenExecutor)
      expect(error.cause).toBeInstanceOf(e.QuotaError)
      expect((error.cause as { limit: number }).limit).toBe(2)
    })

    it('under tsx, an error class from a .ts module the receiving thread never imported keeps its class, also in a Worker @conc did not start', async () => {
      const args = ['--import', 'tsx', fixture('locator/errors-in-raw-worker.mjs')]
      const result = await runNode(args, { backendUrl: backend.backendUrl })
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe('main thread: QuotaError QuotaError used 7\na Worker of the program: QuotaError QuotaError used 7\n')
    }, testTimeoutFor(['--import', 'tsx']))
  })
}
