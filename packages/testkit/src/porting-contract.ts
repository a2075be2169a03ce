/**
 * The smaller gaps a porter notices (issue 10), written once and run against every backend:
 * `Timer`, a runner's `close()` and `sentinel`, `Executor.map(..., { buffersize })` at the call,
 * `terminateWorkers()` / `killWorkers()`, and `SharedMemory` / `ShareableList`.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixtureUrl } from './harness.ts'
import { type Fn, type Lib, type LibBackendUnderTest, sleep } from './contract-kit.ts'

export type PortingBackendUnderTest = LibBackendUnderTest

/** Resolves to the error `fn` throws (synchronously or not). */
async function caught(fn: () => unknown): Promise<Error & { code?: string }> {
  try {
    await fn()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected an error')
}

export function definePortingContract(backend: PortingBackendUnderTest): void {
  const { lib, kind } = backend
  const noun = kind === 'thread' ? 'thread' : 'process'
  let targets: Record<string, Fn>
  const cleanups: (() => unknown)[] = []
  const target = (name: string): Fn => {
    const fn = targets[name]
    if (fn === undefined) throw new Error(`no fixture target ${name}`)
    return lib.fromModule(fn, fixtureUrl('porting-targets.mjs'), name)
  }
  const Runner = lib.Thread ?? lib.Process
  const Executor = lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor
  const Broken = kind === 'thread' ? lib.BrokenThreadPool : lib.BrokenProcessPool
  /** Starts a unit running `name`, killed after the test if it still runs. */
  const spawn = (name: string, ...args: unknown[]) => {
    const unit = new Runner({ target: target(name), args })
    unit.start()
    cleanups.push(async () => {
      try {
        if (!unit.isAlive()) return
      } catch {
        return // closed
      }
      unit.kill()
      await unit.join()
    })
    return unit
  }

  beforeAll(async () => {
    process.env.CONC_BACKEND = backend.backendUrl
    targets = (await import(fixtureUrl('porting-targets.mjs'))) as Record<string, Fn>
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  describe(`${kind} Timer`, () => {
    it('calls the function with its args after interval seconds, in a new unit; Python positional shape', async () => {
      const out = new lib.Queue()
      const timer = new lib.Timer(0.4, target('record'), [out, 'a', 2])
      expect(timer).toBeInstanceOf(Runner)
      expect(timer.interval).toBe(0.4)
      expect(timer.name).toMatch(kind === 'thread' ? /^Thread-\d+$/ : /^Timer-\d+$/)
      const started = Date.now()
      timer.start()
      expect(timer.isAlive()).toBe(true)
      const { args, at } = await out.get({ timeout: 20 })
      expect(args).toEqual(['a', 2])
      expect(at - started).toBeGreaterThanOrEqual(350)
      await timer.join(20)
      expect(timer.exitCode).toBe(0)
      expect(await timer.finished.isSet()).toBe(true)
    }, 60_000)

    it('cancel() while it waits: the function is not called and the unit ends at once', async () => {
      const out = new lib.Queue()
      const timer = new lib.Timer({ interval: 30, target: target('record'), args: [out, 'never'], name: 'cancelled' })
      expect(timer.name).toBe('cancelled')
      timer.start()
      await sleep(0.2)
      const t0 = Date.now()
      timer.cancel()
      await timer.join(20)
      expect(timer.isAlive()).toBe(false)
      expect(Date.now() - t0).toBeLessThan(15_000)
      expect(timer.exitCode).toBe(0)
      expect(await out.qsize()).toBe(0)
      // Cancelled before start: it starts, sees the event set, and ends.
      const early = new lib.Timer(30, target('record'), [out, 'never'])
      early.cancel()
      early.start()
      await early.join(20)
      expect(early.isAlive()).toBe(false)
      expect(await out.qsize()).toBe(0)
    }, 60_000)

    it('refuses a non-function and an interval that is not a number with TypeError', async () => {
      expect(() => new lib.Timer(1, 5)).toThrow(TypeError)
      expect(() => new lib.Timer('1', target('live'))).toThrow(TypeError)
      expect(() => new lib.Timer(1, target('live'), 'args')).toThrow(TypeError)
    })
  })

  describe(`${kind} runner close() and sentinel`, () => {
    it('sentinel: ValueError before start; not ready while running, ready and awaitable after; the same object each time', async () => {
      const unit = new Runner({ target: target('live'), args: [0.5] })
      expect((await caught(() => unit.sentinel)).message).toBe(`${noun} not started`)
      unit.start()
      cleanups.push(() => unit.join())
      const sentinel = unit.sentinel
      expect(unit.sentinel).toBe(sentinel)
      expect(sentinel.ready).toBe(false)
      expect(await lib.connection.wait([sentinel], 0)).toEqual([])
      await sentinel
      expect(sentinel.ready).toBe(true)
      expect(unit.isAlive()).toBe(false)
      expect(await lib.connection.wait([sentinel], 0)).toEqual([sentinel])
    }, 60_000)

    it("close(): ValueError while running; after the end every member raises ValueError ('... object is closed'); twice is fine", async () => {
      const unit = new Runner({ target: target('live'), args: [0.3], name: 'closing' })
      unit.close() // before start: allowed, as in Python
      expect((await caught(() => unit.start())).message).toBe(`${noun} object is closed`)
      const running = spawn('live', 0.3)
      const error = await caught(() => running.close())
      expect(error).toBeInstanceOf(lib.ValueError)
      expect(error.message).toMatch(/^Cannot close a (thread|process) while it is still running/)
      await running.join()
      running.close()
      running.close()
      for (const use of [() => running.isAlive(), () => running.join(), () => running.terminate(), () => running.kill(), () => running.exitCode, () => running.ident, () => running.sentinel]) {
        const e = await caught(use)
        expect(e).toBeInstanceOf(lib.ValueError)
        expect(e.message).toBe(`${noun} object is closed`)
      }
      expect(typeof running.name).toBe('string')
      expect(String(running)).toMatch(/closed/)
    }, 60_000)
  })

  // The windowed map itself is covered by the pool contract (buffersize); this adds what Python
  // does at the call: the first window is submitted before anything is read.
  describe(`${kind} Executor.map(..., { buffersize }) (Python 3.14)`, () => {
    it('submits the first buffersize calls (chunks, with chunksize) when map() is called, then more as results are read', async () => {
      const executor = new Executor({ maxWorkers: 2 })
      cleanups.push(() => executor.shutdown())
      let pulled = 0
      function* counted() {
        for (let i = 1; i <= 100; i++) {
          pulled++
          yield i
        }
      }
      const ones = executor.map(target('square'), counted(), { buffersize: 3 })
      expect(pulled).toBe(3)
      expect(await ones.next()).toEqual({ value: 1, done: false })
      expect(pulled).toBe(4)
      await ones.return?.()
      pulled = 0
      const chunks = executor.map(target('square'), counted(), { buffersize: 2, chunksize: 5 })
      expect(pulled).toBe(10)
      await chunks.next()
      expect(pulled).toBeLessThanOrEqual(15)
      await chunks.return?.()
    }, 60_000)
  })

  describe(`${kind} terminateWorkers() / killWorkers() (Python 3.14)`, () => {
    for (const method of ['terminateWorkers', 'killWorkers']) {
      it(`${method}(): running calls fail with the broken-pool error, queued ones are cancelled, the executor is broken and its workers gone`, async () => {
        const executor = new Executor({ maxWorkers: 1 })
        const running = executor.submit(target('forever'))
        while (!running.running()) await sleep(0.05)
        const queued = executor.submit(target('square'), 3)
        await executor[method]()
        await expect(running).rejects.toBeInstanceOf(Broken)
        expect(queued.cancelled()).toBe(true)
        expect(() => executor.submit(target('square'), 1)).toThrow(Broken)
        expect(executor.workerIds).toEqual([])
        await executor.shutdown()
      }, 60_000)
    }
  })

  describe(`${kind} SharedMemory and ShareableList`, () => {
    it('create, attach by name in this thread, Python errors: a name in use, a missing name, size 0, buf after close, unlink twice', async () => {
      const shm = new lib.SharedMemory({ create: true, size: 100 })
      expect(shm.name).toMatch(/^psm_[0-9a-f]{8}$/)
      expect(shm.size).toBe(100)
      expect(shm.buf.byteOffset % 64).toBe(0)
      expect([...shm.buf.subarray(0, 4)]).toEqual([0, 0, 0, 0])
      shm.buf[5] = 55
      const same = new lib.SharedMemory(shm.name)
      expect(same.buf[5]).toBe(55)
      expect(same.size).toBe(100)
      expect(await caught(() => new lib.SharedMemory(shm.name, true, 10))).toBeInstanceOf(lib.FileExistsError)
      expect(await caught(() => new lib.SharedMemory('psm_nothere'))).toBeInstanceOf(lib.FileNotFoundError)
      expect((await caught(() => new lib.SharedMemory({ create: true, size: 0 }))).message).toBe("'size' must be a positive number different from zero")
      expect((await caught(() => new lib.SharedMemory())).message).toBe("'name' can only be None if create=True")
      same.close()
      same.close()
      expect(await caught(() => same.buf)).toBeInstanceOf(lib.ValueError)
      shm.unlink()
      expect(await caught(() => new lib.SharedMemory(shm.name))).toBeInstanceOf(lib.FileNotFoundError)
      expect(await caught(() => shm.unlink())).toBeInstanceOf(lib.OSError)
      expect(shm.buf[5]).toBe(55) // still attached here
      shm.close()
      const reuse = new lib.SharedMemory({ name: shm.name, create: true, size: 8 })
      expect([...reuse.buf]).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
      reuse.close()
      reuse.unlink()
    })

    it('ShareableList: Python item types, brackets and negative indices, IndexError, the room of a str item, count, index, attach by name', async () => {
      const sl = new lib.ShareableList(['howdy', 42, 3.5, null, true, 7n, new Uint8Array([1, 2])])
      expect(sl.length).toBe(7)
      expect([...sl]).toEqual(['howdy', 42, 3.5, null, true, 7n, new Uint8Array([1, 2])])
      sl[1] = 'hi' // a scalar's room (8 bytes) takes a short string, as Python's does
      sl[-2] = -9007199254740993n
      expect(sl.get(1)).toBe('hi')
      expect(sl[-2]).toBe(-9007199254740993n)
      expect(await caught(() => sl.set(0, 'much longer than howdy'))).toBeInstanceOf(lib.ValueError)
      expect(await caught(() => sl[7])).toBeInstanceOf(lib.IndexError)
      expect(sl.count(null)).toBe(1)
      expect(sl.index(3.5)).toBe(2)
      expect(await caught(() => sl.index('absent'))).toBeInstanceOf(lib.ValueError)
      const other = new lib.ShareableList(null, { name: sl.shm.name })
      other[0] = 'yo'
      expect(sl[0]).toBe('yo')
      other.shm.close()
      sl.shm.close()
      sl.shm.unlink()
    })

    if (kind === 'thread') {
      it('threads attach a block by name, or receive it (and a ShareableList) in args, and write the same memory', async () => {
        const shm = new lib.SharedMemory({ create: true, size: 8 })
        const list = new lib.ShareableList(['a value of 16 b.', 1])
        const a = spawn('writeShared', shm.name, 0, 11)
        const b = spawn('writeGiven', shm, list)
        await a.join(30)
        await b.join(30)
        expect([a.exitCode, b.exitCode]).toEqual([0, 0])
        expect([shm.buf[0], shm.buf[1]]).toEqual([11, 99])
        expect([...list]).toEqual(['from the unit', 2])
        list.shm.close()
        list.shm.unlink()
        shm.close()
        shm.unlink()
      }, 60_000)
    } else {
      it('a child process cannot have a block of its parent: passing one throws ConcTypeError, attaching by name FileNotFoundError saying why', async () => {
        const shm = new lib.SharedMemory({ create: true, size: 8 })
        cleanups.push(() => {
          shm.close()
          shm.unlink()
        })
        const unit = new Runner({ target: target('writeGiven'), args: [shm, null] })
        const error = await caught(() => unit.start())
        expect(error).toBeInstanceOf(TypeError)
        expect(error.code).toBe('ERR_CONC_DATA_CLONE')
        expect(error.message).toMatch(/Node processes share no memory/)
        const out = new lib.Queue()
        const child = spawn('attachMissing', shm.name, out)
        const reply = await out.get({ timeout: 30 })
        await child.join(30)
        expect(reply.name).toBe('FileNotFoundError')
        expect(reply.message).toMatch(/a child process cannot attach a block of its parent/)
      }, 60_000)
    }
  })
}
