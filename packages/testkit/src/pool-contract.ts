/**
 * The executor and pool contract, written once and run against every backend. Items refer to
 * python-api.md §5 F (Pool) and G (futures and executors); the rest is what Node pool users
 * expect (abort signals, per-task timeouts, transfer lists, crashes that never hang).
 */
import { availableParallelism } from 'node:os'
import { fixture, runNode } from './harness.ts'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

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

export function definePoolContract(backend: PoolBackendUnderTest): void {
  const { Executor, Pool, Broken, lib, kind } = backend
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
      expect(ex.maxWorkers).toBe(kind === 'thread' ? Math.min(32, cpus + 4) : cpus)
      expect(() => ex.submit(42 as never)).toThrow(TypeError)
      void ex.shutdown()
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

    it('await using shuts down; sequential submits reuse one worker; never more than maxWorkers (G57)', async () => {
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

    it('names workers <prefix>_<i> (G57)', async () => {
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

    it('a worker that dies breaks the executor: pending futures and later submits fail (G59)', async () => {
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

    it('maxTasksPerChild 3 with one worker: tasks 1–3 share a worker, task 4 gets a new one (G60)', async () => {
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

    it('an AbortSignal withdraws a queued task and stops a running one; the worker is replaced', async () => {
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
      for (const round of [0, 1]) {
        const ex = executor({ maxWorkers: 2 })
        const futures = Array.from({ length: 300 }, (_, i) => ex.submit(t.maybeCrash, i, round === 0 ? 0.01 : 0.002))
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
      const p = pool()
      const start = performance.now()
      const xs = Array.from({ length: 10 }, (_, i) => i)
      const results = await settle(p.starmap(t.failAt, xs.map((x) => [x, 0, 0.1]), { chunksize: 1 }))
      expect(results.ok).toBe(false)
      expect((results.value as Error).message).toBe('bad item 0')
      expect(elapsed(start)).toBeGreaterThanOrEqual(0.35)
      p.close()
      await p.join()
    })

    it('callbacks get the result list or the error; an unsendable result is MaybeEncodingError 20 times over (F51)', async () => {
      const p = pool()
      let got: unknown
      let failed: unknown
      await p.mapAsync(t.square, [1, 2, 3], { callback: (v: unknown) => (got = v) }).wait()
      await p.applyAsync(t.throwCustom, ['cb'], { errorCallback: (e: unknown) => (failed = e) }).wait()
      await new Promise((resolve) => setTimeout(resolve, 10))
      expect(got).toEqual([1, 4, 9])
      expect((failed as Error).name).toBe('CustomError')
      for (let i = 0; i < 20; i++) {
        const r = await settle(p.apply(t.unsendableResult))
        expect(r.value).toBeInstanceOf(lib.MaybeEncodingError)
      }
      expect(await p.apply(t.square, [7])).toBe(49)
    })

    it('validates its arguments; runs the initializer; empty input gives [] (F52)', async () => {
      expect(() => new Pool({ processes: 0 })).toThrow('Number of processes must be at least 1')
      expect(() => new Pool({ processes: -1 })).toThrow(lib.ValueError)
      for (const bad of [0, -1, 0.5, '12']) {
        expect(() => new Pool({ processes: 1, maxTasksPerChild: bad })).toThrow('maxtasksperchild must be a positive int or None')
      }
      expect(() => new Pool({ processes: 1, initializer: 3 })).toThrow('initializer must be a callable')
      const p = pool({ initializer: t.setInitValue, initargs: [7] })
      expect(await p.map(t.readInitValue as never, [1, 2, 3, 4], { chunksize: 1 })).toEqual([7, 7, 7, 7])
      // Python's Pool restarts a worker whose initializer fails, forever; this one breaks instead.
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

    it('maxTasksPerChild replaces workers; with close + join before the end nothing hangs (F54)', async () => {
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

    it('a worker that dies fails only its own tasks and is replaced (nothing hangs)', async () => {
      const p = pool()
      const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => p.applyAsync(t.maybeCrash, [i, 0.02])))
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

  describe(`${kind} task functions from other modules (issue 8 §1)`, () => {
    it('executor and Pool find task functions and an initializer imported from other modules, re-exported, default, static, CommonJS, built in', async () => {
      const result = await runNode([fixture('locator/main.mjs'), 'pools'], { backendUrl: backend.backendUrl })
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe(
        [
          'imported@work.mjs',
          're-exported@work.mjs',
          'default default@work.mjs',
          'static@work.mjs+static@work.mjs',
          'commonjs@work.cjs',
          'built-in',
          'init@work.mjs',
          'error: true 4 work.mjs',
          'pool map@work.mjs',
          'pool apply@work.mjs+pool apply@work.mjs',
          '',
        ].join('\n'),
      )
    })
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
  })
}
