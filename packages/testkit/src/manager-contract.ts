/**
 * The Manager contract (python-api.md §2.2 `Manager()`, CPython's `managers.py`), written once and
 * run against every backend: the owner uses the proxies, and units of the backend under test
 * (runners and pool workers) use the same objects through the proxies they were given.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { captureWarnings, fixture, fixtureUrl, runNode } from './harness.ts'
import { type Fn, type Lib, type LibBackendUnderTest, type Unit } from './contract-kit.ts'

export type ManagerBackendUnderTest = LibBackendUnderTest

const TARGETS = 'manager-targets.mjs'

export function defineManagerContract(backend: ManagerBackendUnderTest): void {
  const { lib, kind } = backend
  let targets: Record<string, Fn>
  const units: Unit[] = []
  const managers: Lib[] = []
  const pools: Lib[] = []

  const target = (name: string): Fn => {
    const fn = targets[name]
    if (fn === undefined) throw new Error(`no fixture target ${name}`)
    return lib.fromModule(fn, fixtureUrl(TARGETS), name)
  }
  /** Starts a unit of the backend under test running the fixture target `name`. */
  const spawn = (name: string, ...args: unknown[]): Unit => {
    const Runner = lib.Thread ?? lib.Process
    const unit = new Runner({ target: target(name), args }) as Unit
    units.push(unit)
    unit.start()
    return unit
  }
  const joinAll = async (...list: Unit[]) => {
    await Promise.all(list.map((unit) => unit.join()))
    for (const unit of list) expect(unit.exitCode).toBe(0)
  }
  const manager = (Class: new () => Lib = lib.Manager): Lib => {
    const made = new Class()
    managers.push(made)
    return made
  }

  beforeAll(async () => {
    process.env.CONC_BACKEND = backend.backendUrl
    targets = (await import(fixtureUrl(TARGETS))) as Record<string, Fn>
  })
  afterEach(async () => {
    for (const unit of units.splice(0)) {
      if (unit.isAlive()) {
        unit.kill()
        await unit.join()
      }
    }
    for (const pool of pools.splice(0)) await (pool.shutdown?.() ?? (pool.terminate(), pool.join()))
    for (const made of managers.splice(0)) await made.shutdown()
  })

  describe(`${kind} Manager: containers`, () => {
    it('dict, list, Namespace, Value and Array in the owner: Python semantics, bulk operations, copies', async () => {
      const m = manager()
      const d = await m.dict({ a: 1 })
      await d.set('b', 2)
      await d.update(new Map<unknown, unknown>([['c', 3], [1, 'one']]))
      expect(await d.get('a')).toBe(1)
      expect(await d.get('zz', 'fallback')).toBe('fallback')
      expect(await d.has(1)).toBe(true)
      expect(await d.has('1')).toBe(false)
      expect(await d.items()).toEqual([['a', 1], ['b', 2], ['c', 3], [1, 'one']])
      expect(await d.len()).toBe(4)
      expect(await d.pop('c')).toBe(3)
      expect(await d.pop('c', 'gone')).toBe('gone')
      expect(await d.setdefault('e', 5)).toBe(5)
      expect(await d.popitem()).toEqual(['e', 5])
      expect(await d.toObject()).toEqual({ a: 1, b: 2, 1: 'one' })
      expect(await d.copy()).toEqual(new Map<unknown, unknown>([['a', 1], ['b', 2], [1, 'one']]))
      const seen: unknown[] = []
      for await (const entry of d) seen.push(entry)
      expect(seen).toEqual([['a', 1], ['b', 2], [1, 'one']])
      // Values are copies: changing what was read changes the copy only (Python's rule).
      await d.set('obj', { n: 1 })
      const copy = await d.get('obj')
      copy.n = 2
      expect(await d.get('obj')).toEqual({ n: 1 })

      const l = await m.list([3, 1, 2])
      await l.append(0)
      await l.extend(new Set([5, 4]))
      await l.insert(-1, 9)
      expect(await l.copy()).toEqual([3, 1, 2, 0, 5, 9, 4])
      await l.sort()
      expect(await l.copy()).toEqual([0, 1, 2, 3, 4, 5, 9])
      await l.sort({ reverse: true })
      expect(await l.slice(null, 3)).toEqual([9, 5, 4])
      expect(await l.get(-1)).toBe(0)
      expect(await l.pop()).toBe(0)
      expect(await l.index(4)).toBe(2)
      expect(await l.count(4)).toBe(1)
      await l.remove(9)
      expect(await l.includes(9)).toBe(false)
      expect(await l.splice(0, 2, 'x')).toEqual([5, 4])
      expect(await l.copy()).toEqual(['x', 3, 2, 1])
      await l.append([1, 2])
      expect(await l.includes([1, 2])).toBe(true)

      const ns = await m.Namespace({ x: 1 })
      await ns.set('y', 'two')
      await ns.update({ z: [3] })
      expect(await ns.get('x')).toBe(1)
      expect(await ns.toObject()).toEqual({ x: 1, y: 'two', z: [3] })
      await ns.delete('y')
      expect(await ns.has('y')).toBe(false)
      expect(await ns.repr()).toBe("Namespace(x=1, z=[ 3 ])")

      const v = await m.Value('d', 1.5)
      await v.set((await v.get()) * 2)
      expect(await v.get()).toBe(3)
      const arr = await m.Array('i', [1, 2, 3])
      await arr.set(0, 10)
      expect(await arr.toArray()).toEqual([10, 2, 3])
      expect(await arr.len()).toBe(3)
      await expect(arr.set(1, 1.5)).rejects.toBeInstanceOf(TypeError)
      expect(await (await m.Array('b', 2)).toArray()).toEqual([0, 0])
    })

    it('proxies passed to a unit reach the same objects, and its writes are seen by the owner', async () => {
      const m = manager()
      const [d, l, ns, v, arr] = [await m.dict({ a: 1 }), await m.list([1]), await m.Namespace({ x: 1 }), await m.Value('i', 41), await m.Array('i', [1, 2])]
      const out = new lib.Queue()
      await joinAll(spawn('containerProbe', d, l, ns, v, arr, out))
      expect(await out.get({ timeout: 20 })).toEqual({
        keys: ['a', 'unit', 'n', 3],
        has3: true,
        three: 'three',
        list: [1, 'u', 'v', 'w'],
        last: 'w',
        ns: { x: 1, who: 'unit' },
        value: 42,
        array: [1, 99],
      })
      expect(await d.get(3)).toBe('three')
      expect(await l.len()).toBe(4)
      expect(await ns.get('who')).toBe('unit')
      expect(await v.get()).toBe(42)
      expect(await arr.get(-1)).toBe(99)
    })

    it('the shared counter: four units increment a managed dict under a managed lock, none is lost', async () => {
      const m = manager()
      const counts = await m.dict()
      const lock = await m.Lock()
      await joinAll(...[0, 1, 2, 3].map((i) => spawn('countUp', counts, lock, i % 2 === 0 ? 'even' : 'odd', 25)))
      expect(await counts.toObject()).toEqual({ even: 50, odd: 50 })
    })

    it('nested proxies: a managed list inside a managed dict is a proxy wherever it is read, and a unit can store one', async () => {
      const m = manager()
      const d = await m.dict()
      const inner = await m.list(['owner'])
      await d.set('inner', inner)
      const read = await d.get('inner')
      expect(read).toBeInstanceOf(lib.ListProxy)
      expect(String(read)).toBe(String(inner))
      const out = new lib.Queue()
      await joinAll(spawn('nestedProbe', d, 'u1', out), spawn('nestedProbe', d, 'u2', out))
      // Each unit appends, then reads the length: the last read sees both appends (3); the other
      // sees its own (2), or both when the two appends landed before it read.
      const lengths = [(await out.get({ timeout: 20 })) as number, (await out.get({ timeout: 20 })) as number].sort()
      expect(lengths[1]).toBe(3)
      expect([2, 3]).toContain(lengths[0])
      expect((await inner.copy()).sort()).toEqual(['owner', 'u1', 'u2'])
      const other = await m.list([7])
      await joinAll(spawn('storeProxy', d, 'stored', other))
      const stored = await d.get('stored')
      await stored.append(8)
      expect(await other.copy()).toEqual([7, 8])
      // A dict can hold itself, as in Python.
      await d.set('self', d)
      expect(await (await d.get('self')).has('inner')).toBe(true)
    })
  })

  describe(`${kind} Manager: units and pools`, () => {
    it('proxies in pool task arguments and in initargs work in the workers', async () => {
      const m = manager()
      const [d, lock, l] = [await m.dict(), await m.Lock(), await m.list()]
      const Executor = lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor
      const executor = new Executor({ maxWorkers: 2 })
      pools.push(executor)
      const squares = await Promise.all([1, 2, 3, 4].map((x) => executor.submit(target('addUnderLock'), d, lock, 'sum', x)))
      expect(squares).toEqual([1, 4, 9, 16])
      expect(await d.get('sum')).toBe(10)
      const Pool = lib.ThreadPool ?? lib.Pool
      const pool = new Pool({ processes: 2, initializer: target('keepList'), initargs: [l] })
      pools.push(pool)
      expect(await pool.map(target('appendToKept'), [1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4, 5])
      expect((await l.copy()).sort()).toEqual([1, 2, 3, 4, 5])
    })

    it("a unit passes proxies on to its own units: their calls are forwarded, and a managed lock held by one that dies comes back", async () => {
      const m = manager()
      const counts = await m.dict()
      const lock = await m.Lock()
      await joinAll(spawn('forwardCount', counts, lock, 'n', 10), spawn('forwardCount', counts, lock, 'n', 10))
      expect(await counts.get('n')).toBe(20)
      const out = new lib.Queue()
      await captureWarnings(async (warnings) => {
        await joinAll(spawn('forwardDeath', lock, out))
        expect(await out.get({ timeout: 30 })).toEqual([true, true])
        // The managed lock's owner (this program) released it, and said so (captured, not printed).
        expect(warnings.filter((w) => w.code === 'CONC_ABANDONED_LOCK')).toHaveLength(1)
      })
      expect(await lock.acquire(false)).toBe(true)
    }, 60_000)

    it("a managed lock held by a unit's own unit that dies comes back, though that unit ends at once", async () => {
      const m = manager()
      // The lock comes back through the unit that started the dead one: that unit used to end
      // before it had passed the recovery on, and the lock was never released.
      await captureWarnings(async () => {
        for (let round = 0; round < 3; round++) {
          const lock = await m.Lock()
          await joinAll(spawn('forwardDeathAndEnd', lock))
          const t0 = performance.now()
          expect(await lock.acquire({ timeout: 10 }), `round ${round}`).toBe(true)
          expect(performance.now() - t0).toBeLessThan(5_000)
          await lock.release()
        }
      })
    }, 90_000)

    it("managed Queue, Event, Semaphore, Condition and Barrier are @conc's classes, shared through the manager", async () => {
      const m = manager()
      const queue = await m.Queue()
      const done = await m.Queue()
      expect(queue).toBeInstanceOf(lib.Queue)
      const workers = [spawn('queueWorker', queue, done), spawn('queueWorker', queue, done)]
      for (let i = 1; i <= 6; i++) await queue.put(i)
      await queue.put(null)
      await queue.put(null)
      const results: number[] = []
      for (let i = 0; i < 6; i++) results.push(await done.get({ timeout: 20 }))
      expect(results.sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10, 12])
      await joinAll(...workers)
      await expect(done.get({ timeout: 0.05 })).rejects.toBeInstanceOf(lib.Empty)

      const event = await m.Event()
      expect(await event.wait(0.05)).toBe(false)
      await event.set()
      expect(await event.isSet()).toBe(true)
      const sem = await m.BoundedSemaphore(1)
      expect(await sem.acquire(false)).toBe(true)
      expect(await sem.acquire(false)).toBe(false)
      await sem.release()
      await expect(sem.release()).rejects.toThrow('Semaphore released too many times')
      const cond = await m.Condition(await m.Lock())
      await cond.acquire()
      expect(await cond.wait(0.05)).toBe(false)
      await cond.notifyAll()
      await cond.release()
      await expect(cond.notify()).rejects.toThrow('cannot notify on un-acquired lock')
      const barrier = await m.Barrier(2)
      const arrivals = await Promise.all([barrier.wait(), barrier.wait()])
      expect(arrivals.sort()).toEqual([0, 1])
    })

    it("the manager's Pool is used from a unit through its proxy", async () => {
      const m = manager()
      const pool = await m.Pool({ processes: 2 })
      expect(await pool.apply(target('square'), [7])).toBe(49)
      const result = await pool.applyAsync(target('square'), [8])
      expect(await result.get(20)).toBe(64)
      expect(await result.successful()).toBe(true)
      const it = await pool.imap(target('square'), [1, 2, 3])
      const items: number[] = []
      for await (const item of it) items.push(item)
      expect(items).toEqual([1, 4, 9])
      const out = new lib.Queue()
      await joinAll(spawn('usePool', pool, out))
      expect(await out.get({ timeout: 30 })).toEqual([1, 4, 9])
    })
  })

  describe(`${kind} Manager: errors and lifetimes`, () => {
    it("errors: the referent's keep their class (in the owner and in a unit); the server's are RemoteError", async () => {
      const m = manager(targets.MathsManager as never)
      const maths = await m.Maths()
      const sm = manager()
      const [d, l, ns] = [await sm.dict(), await sm.list(), await sm.Namespace()]
      await expect(d.pop('missing')).rejects.toBeInstanceOf(lib.KeyError)
      await expect(l.get(10)).rejects.toBeInstanceOf(lib.IndexError)
      await expect(ns.get('nope')).rejects.toBeInstanceOf(lib.AttributeError)
      await expect(maths.fail('bad input')).rejects.toBeInstanceOf(RangeError)
      await expect(maths.complain('too big')).rejects.toBeInstanceOf(targets.ArgumentProblem as never)
      await expect(d.callMethod('secret')).rejects.toBeInstanceOf(lib.RemoteError)
      await expect(maths.callMethod('_private')).rejects.toThrow(/method '_private' of Maths object is not in exposed/)
      await expect(maths.giveFunction()).rejects.toThrow(/Unserializable message/)
      await expect(d.set({ an: 'object' }, 1)).rejects.toThrow("unhashable type: 'Object'")
      const out = new lib.Queue()
      await joinAll(spawn('errorProbe', d, l, ns, maths, out))
      const seen = (await out.get({ timeout: 20 })) as string[]
      expect(seen[0]).toBe("KeyError: 'missing'")
      expect(seen[1]).toBe('IndexError: list index out of range')
      expect(seen[2]).toBe("AttributeError: 'Namespace' object has no attribute 'nope'")
      expect(seen[3]).toBe('RangeError: bad input')
      expect(seen[4]).toMatch(/^RemoteError: ManagerFault: method 'secret' of ManagedDict object is not in exposed=/)
      expect(seen[5]).toMatch(/^RemoteError: ManagerFault: Unserializable message/)
      expect(seen[6]).toMatch(/^ConcTypeError: unhashable type: 'Object'/)
    })

    it("the program's own error class, thrown by a managed object, reaches a unit as that class", async () => {
      // A program of its own: the class is found by reference to the module that exports it,
      // which needs the module loaded by Node itself (this test runner transforms its own).
      const run = await runNode([fixture('manager-errors.mjs')], { backendUrl: backend.backendUrl, timeoutMs: 60_000 })
      expect(run.stderr).toBe('')
      expect(JSON.parse(run.stdout.trim())).toEqual({ inUnit: 'ArgumentProblem: too big', inOwner: true, exitCode: 0 })
    })

    it("a managed Pool and a managed Barrier's action take functions of the program's entry module (exported, renamed, its default, or not exported at all), while it waits at a top-level await", async () => {
      // The owner is that program: importing its entry again to find the function would wait for
      // the very await that waits for the result (the program ended silently with exit code 13).
      const run = await runNode([fixture('manager-entry-functions.mjs')], { backendUrl: backend.backendUrl, timeoutMs: 60_000 })
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      expect(JSON.parse(run.stdout.trim())).toEqual({ here: [1, 4, 9], renamed: [8, 27], byDefault: [1, 2], bySource: [2, 3], fromUnit: [16, 25], trips: 1, exitCode: 0 })
    })

    it('register(): a user class exported from a module, with exposed, methodToTypeid and a proxytype, from the owner and a unit', async () => {
      const m = manager(targets.MathsManager as never)
      const maths = await m.Maths()
      expect(await maths.add(1, 2)).toBe(3)
      const history = await maths.history()
      expect(history).toBeInstanceOf(lib.BaseProxy)
      expect(await history.at(0)).toBe(3)
      const out = new lib.Queue()
      await joinAll(spawn('useMaths', maths, out))
      expect(await out.get({ timeout: 20 })).toEqual([5, 8, 5])
      expect(await maths.total()).toBe(8)
      const limited = await m.create('LimitedMaths')
      expect(await limited.add(2, 2)).toBe(4)
      expect((limited as { total?: unknown }).total).toBeUndefined()
      await expect(limited.callMethod('total')).rejects.toBeInstanceOf(lib.RemoteError)
      const proxied = await m.ProxiedMaths()
      expect(proxied).toBeInstanceOf(targets.MathsProxy as never)
      expect(await proxied.double(21)).toBe(42)
      await expect(m.create('Unknown')).rejects.toThrow(/no typeid Unknown/)
      expect(() => lib.BaseManager.register('x', 42)).toThrow(TypeError)
    })

    it('a proxy used after shutdown raises ManagerShutdownError, in the owner and in a unit', async () => {
      const m = manager()
      const d = await m.dict({ a: 1 })
      const lock = await m.Lock()
      const [ready, go] = [new lib.Event(), new lib.Event()]
      const out = new lib.Queue()
      const unit = spawn('afterShutdown', d, ready, go, out)
      expect(await ready.wait(20)).toBe(true)
      await m.shutdown()
      await go.set()
      expect(await out.get({ timeout: 20 })).toMatch(/^ManagerShutdownError: the manager has shut down/)
      await joinAll(unit)
      await expect(d.get('a')).rejects.toBeInstanceOf(lib.ManagerShutdownError)
      await expect(lock.acquire()).rejects.toBeInstanceOf(lib.ManagerShutdownError)
      await expect(m.dict()).rejects.toThrow('Manager has shut down')
      await m.shutdown()
    })

    it('a unit that dies holding a managed lock: the lock is released by the time join() returns, with a CONC_ABANDONED_LOCK warning', async () => {
      await captureWarnings(async (warnings) => {
        const m = manager()
        for (const lock of [await m.Lock(), await m.RLock()]) {
          const ready = new lib.Event()
          const unit = spawn('takeManagedLock', lock, ready)
          expect(await ready.wait(20)).toBe(true)
          expect(await lock.acquire(false)).toBe(false)
          unit.kill()
          // join() returns once the lock it held is released: no wait after it.
          await unit.join()
          expect(await lock.acquire(false)).toBe(true)
          await lock.release()
        }
        expect(warnings.filter((w) => w.code === 'CONC_ABANDONED_LOCK')).toHaveLength(2)
      })
    })

    it('an object lives while a unit holds a proxy to it, after the owner dropped its own, and is freed after', async () => {
      const run = await runNode(['--expose-gc', fixture('manager-lifetime.mjs')], { backendUrl: backend.backendUrl, timeoutMs: 60_000 })
      expect(run.stderr).toBe('')
      expect(JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({
        held: 1,
        seen: { kept: 'yes' },
        afterUnit: 0,
        beforeDrop: 2,
        afterDrop: 1,
      })
      expect(run.code).toBe(0)
    }, 90_000)
  })
}
