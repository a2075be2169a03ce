/**
 * The primitives contract (python-api.md §5 E), written once and run against every backend. Each
 * primitive is used from the test (the main thread) and from units it was passed to, so the
 * process backend exercises the owner/proxy path and the thread backend the shared memory.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { captureWarnings, fixtureUrl } from './harness.ts'
import { type Fn, type Lib, type LibBackendUnderTest, type Unit as BaseUnit, sleep } from './contract-kit.ts'

export type SyncBackendUnderTest = LibBackendUnderTest

interface Unit extends BaseUnit {
  terminate(): void
}

/** Resolves to the name of the error `promise` rejects with. */
const errorName = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (error: Error) => error.name,
  )

export function defineSyncContract(backend: SyncBackendUnderTest): void {
  const { lib, kind } = backend
  let targets: Record<string, Fn>
  const units: Unit[] = []

  /** Starts a unit running the fixture target `name`, cleaned up after the test. */
  const spawn = (name: string, ...args: unknown[]): Unit => {
    const target = targets[name]
    if (target === undefined) throw new Error(`no fixture target ${name}`)
    const Runner = lib.Thread ?? lib.Process
    const unit = new Runner({ target: lib.fromModule(target, fixtureUrl('sync-targets.mjs'), name), args }) as Unit
    units.push(unit)
    unit.start()
    return unit
  }
  const joinAll = async (...list: Unit[]) => {
    await Promise.all(list.map((unit) => unit.join()))
    for (const unit of list) expect(unit.exitCode).toBe(0)
  }
  /** Drains `n` items from `queue`. */
  const take = async (queue: Lib, n: number, timeout = 20) => {
    const items: unknown[] = []
    for (let i = 0; i < n; i++) items.push(await queue.get({ timeout }))
    return items
  }

  beforeAll(async () => {
    process.env.CONC_BACKEND = backend.backendUrl
    targets = (await import(fixtureUrl('sync-targets.mjs'))) as Record<string, Fn>
  })
  afterEach(async () => {
    for (const unit of units.splice(0)) {
      if (unit.isAlive()) {
        unit.kill()
        await unit.join()
      }
    }
  })

  describe(`${kind} locks (§5 E33–E36)`, () => {
    it('Lock: acquire, locked, non-blocking acquire while held, release, release when unlocked raises (E33)', async () => {
      const lock = new lib.Lock()
      expect(await lock.acquire()).toBe(true)
      expect(await lock.locked()).toBe(true)
      expect(await lock.acquire(false)).toBe(false)
      expect(await lock.release()).toBeUndefined()
      expect(await lock.locked()).toBe(false)
      await expect(lock.release()).rejects.toBeInstanceOf(lib.RuntimeError)
      const out = new lib.Queue()
      await joinAll(spawn('lockProbe', lock, out))
      expect(await out.get({ timeout: 5 })).toEqual([true, true, false, undefined, false, 'RuntimeError'])
    })

    it('hold() and await using release the lock, also on throw', async () => {
      const lock = new lib.Lock()
      {
        await using _ = await lock.hold()
        expect(await lock.locked()).toBe(true)
      }
      expect(await lock.locked()).toBe(false)
      await expect(
        (async () => {
          await using _ = await lock.hold()
          throw new Error('inside')
        })(),
      ).rejects.toThrow('inside')
      expect(await lock.locked()).toBe(false)
    })

    it('a Lock may be released by a unit other than the one that acquired it (E34)', async () => {
      const lock = new lib.Lock()
      await lock.acquire()
      await joinAll(spawn('releaseIt', lock))
      expect(await lock.locked()).toBe(false)
    })

    it('acquire({ timeout }) on a lock held elsewhere is false after about t; bad arguments raise ValueError (E35)', async () => {
      const lock = new lib.Lock()
      const [ready, go] = [new lib.Event(), new lib.Event()]
      const holder = spawn('holdLock', lock, ready, go)
      expect(await ready.wait(20)).toBe(true)
      const t0 = performance.now()
      expect(await lock.acquire({ timeout: 0.5 })).toBe(false)
      const waited = performance.now() - t0
      expect(waited).toBeGreaterThanOrEqual(450)
      expect(waited).toBeLessThan(5000)
      await go.set()
      await joinAll(holder)
      // The holder ended without releasing: the lock is still held (a plain Lock has no owner
      // that must release it), and a unit's timed acquire times out the same way.
      const out = new lib.Queue()
      await joinAll(spawn('timedAcquire', lock, 0.3, out))
      const report = (await out.get({ timeout: 5 })) as { got: boolean; ms: number }
      expect(report.got).toBe(false)
      expect(report.ms).toBeGreaterThanOrEqual(250)
      await lock.release()
      await expect(lock.acquire(false, 1)).rejects.toBeInstanceOf(lib.ValueError)
      await expect(lock.acquire({ blocking: false, timeout: 1 })).rejects.toThrow("can't specify a timeout for a non-blocking call")
      await expect(lock.acquire({ timeout: -100 })).rejects.toThrow('timeout value must be a non-negative number')
      expect(await lock.acquire({ timeout: -1 })).toBe(true)
    })

    it('RLock: reentrant, locked until the last release, visible and not releasable from another unit (E36)', async () => {
      const rlock = new lib.RLock()
      for (let i = 0; i < 3; i++) expect(await rlock.acquire()).toBe(true)
      const out = new lib.Queue()
      await joinAll(spawn('rlockProbe', rlock, out))
      expect(await out.get({ timeout: 5 })).toEqual({ locked: true, acquired: false, release: 'RuntimeError' })
      await rlock.release()
      await rlock.release()
      expect(await rlock.locked()).toBe(true)
      await rlock.release()
      expect(await rlock.locked()).toBe(false)
      await expect(rlock.release()).rejects.toThrow('cannot release un-acquired lock')
    })

    it('an AbortSignal gives up a wait, and the lock keeps working', async () => {
      const lock = new lib.Lock()
      const [ready, go] = [new lib.Event(), new lib.Event()]
      const holder = spawn('holdLock', lock, ready, go)
      await ready.wait(20)
      const controller = new AbortController()
      const pending = lock.acquire({ signal: controller.signal })
      setTimeout(() => controller.abort(), 100)
      expect(await errorName(pending)).toBe('AbortError')
      expect(await errorName(new lib.Queue().get({ signal: AbortSignal.timeout(50) }))).toBe('TimeoutError')
      await go.set()
      await joinAll(holder)
      await lock.release()
      expect(await lock.acquire(false)).toBe(true)
    })

    it('one AbortSignal shared by many waits, here and in a unit: no listener-leak warning, none left on the signal', async () => {
      const [lock, queue, out] = [new lib.Lock(), new lib.Queue(), new lib.Queue()]
      await targets.sharedSignalWaits!(...([lock, queue, out] as never[]))
      expect(await out.get({ timeout: 20 })).toEqual({ listeners: 0, warnings: [] })
      await joinAll(spawn('sharedSignalWaits', lock, queue, out))
      expect(await out.get({ timeout: 20 })).toEqual({ listeners: 0, warnings: [] })
    })

    it('join() of a unit that died holding a Lock returns once the lock is released (no wait after it)', async () => {
      await captureWarnings(async () => {
        for (const end of ['kill', 'terminate'] as const) {
          const lock = new lib.Lock()
          const ready = new lib.Event()
          const unit = spawn('takeAndHang', lock, ready)
          expect(await ready.wait(20)).toBe(true)
          unit[end]()
          await unit.join()
          expect(await lock.locked()).toBe(false)
          expect(await lock.acquire(false)).toBe(true)
        }
      })
    })

    it('a unit that dies holding a Lock or RLock: the lock is released and a CONC_ABANDONED_LOCK warning is emitted', async () => {
      await captureWarnings(async (warnings) => {
        for (const lock of [new lib.Lock(), new lib.RLock()]) {
          const ready = new lib.Event()
          const unit = spawn('takeAndHang', lock, ready)
          expect(await ready.wait(20)).toBe(true)
          expect(await lock.acquire(false)).toBe(false)
          unit.kill()
          await unit.join()
          expect(await lock.acquire({ timeout: 10 })).toBe(true)
          await lock.release()
        }
        await sleep(0.05)
        const abandoned = warnings.filter((w) => w.code === 'CONC_ABANDONED_LOCK')
        expect(abandoned.map((w) => w.message.replace(/owner -?\d+/, 'owner N'))).toEqual([
          'a unit died holding a Lock (owner N); the Lock was released so that others do not deadlock',
          'a unit died holding a RLock (owner N); the RLock was released so that others do not deadlock',
        ])
      })
    })
  })

  describe(`${kind} semaphores (§5 E37)`, () => {
    it('Semaphore(2): two acquires, a third fails, timed acquire is false after about t, releases may exceed the start', async () => {
      const out = new lib.Queue()
      const sem = new lib.Semaphore(2)
      await joinAll(spawn('semaphoreProbe', sem, out))
      expect(await out.get({ timeout: 5 })).toEqual([true, true, false, false, true, 'no error', 3])
      expect(await sem.getValue()).toBe(3)
      await expect(sem.acquire(false, 1)).rejects.toThrow("can't specify timeout for non-blocking acquire")
      expect(() => new lib.Semaphore(-1)).toThrow('semaphore initial value must be >= 0')
      await expect(sem.release(0)).rejects.toThrow('n must be one or more')
    })

    it('BoundedSemaphore raises ValueError when released above its initial value, also from a unit', async () => {
      const sem = new lib.BoundedSemaphore(1)
      await expect(sem.release()).rejects.toThrow('Semaphore released too many times')
      await sem.acquire()
      await sem.release()
      const out = new lib.Queue()
      await joinAll(spawn('semaphoreProbe', new lib.BoundedSemaphore(2), out))
      expect(await out.get({ timeout: 5 })).toEqual([true, true, false, false, true, 'ValueError', 2])
    })

    it('a waiter is woken by a release from another unit', async () => {
      const sem = new lib.Semaphore(0)
      const t0 = performance.now()
      const unit = spawn('releaseIt', sem)
      expect(await sem.acquire({ timeout: 20 })).toBe(true)
      expect(performance.now() - t0).toBeLessThan(20_000)
      await joinAll(unit)
    })
  })

  describe(`${kind} conditions (§5 E38)`, () => {
    it('wait/notify without the lock raise; wait(t) is false after about t', async () => {
      const cond = new lib.Condition()
      await expect(cond.wait(0)).rejects.toThrow('cannot wait on un-acquired lock')
      await expect(cond.notify()).rejects.toThrow('cannot notify on un-acquired lock')
      const out = new lib.Queue()
      await joinAll(spawn('conditionMisuse', cond, out))
      expect(await out.get({ timeout: 5 })).toEqual(['RuntimeError', 'RuntimeError'])
      await cond.acquire()
      const t0 = performance.now()
      expect(await cond.wait(0.2)).toBe(false)
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150)
      await cond.release()
    })

    it('notify() wakes one, notify(2) two, notifyAll() the rest: 3 unit and 3 local waiters', async () => {
      const cond = new lib.Condition(new lib.Lock())
      const sleeping = new lib.Semaphore(0)
      const woken = new lib.Queue()
      const waiters = [0, 1, 2].map(() => spawn('conditionWaiter', cond, sleeping, woken))
      const local = [0, 1, 2].map(() => targets.conditionWaiter!(...([cond, sleeping, woken] as never[])) as Promise<void>)
      for (let i = 0; i < 6; i++) expect(await sleeping.acquire({ timeout: 20 })).toBe(true)
      const count = async (expected: number) => {
        for (let i = 0; i < 200 && (await woken.qsize()) < expected; i++) await sleep(0.05)
        await sleep(0.1)
        return woken.qsize()
      }
      await cond.acquire()
      await cond.notify()
      await cond.release()
      expect(await count(1)).toBe(1)
      await cond.acquire()
      await cond.notify(2)
      await cond.release()
      expect(await count(3)).toBe(3)
      await cond.acquire()
      await cond.notifyAll()
      await cond.release()
      expect(await count(6)).toBe(6)
      await Promise.all(local)
      await joinAll(...waiters)
    })

    it('waitFor(pred) returns true once another unit makes pred true; waitFor(pred, 0.1) false after about 0.1 s', async () => {
      const cond = new lib.Condition()
      const state = new lib.Value('i', 0)
      const out = new lib.Queue()
      const waiter = spawn('conditionWaitFor', cond, state, out)
      const notifier = spawn('conditionNotifier', cond, state)
      expect(await out.get({ timeout: 20 })).toEqual([true, false])
      await joinAll(waiter, notifier)
    })
  })

  describe(`${kind} events (§5 E39)`, () => {
    it('unset at first; wait(0) false at once; wait(t) false after about t; true at once after set()', async () => {
      const event = new lib.Event()
      expect(await event.isSet()).toBe(false)
      expect(await event.wait(0)).toBe(false)
      const t0 = performance.now()
      expect(await event.wait(0.2)).toBe(false)
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150)
      await event.set()
      expect(await event.isSet()).toBe(true)
      expect(await event.wait()).toBe(true)
      expect(await event.wait(0.2)).toBe(true)
      await event.clear()
      expect(await event.isSet()).toBe(false)
    })

    it('a set() from another unit wakes a waiter; waiters woken by set() return true even if clear() follows at once', async () => {
      const event = new lib.Event()
      const setter = spawn('eventSetter', event, 0.1)
      expect(await event.wait(20)).toBe(true)
      await joinAll(setter)
      await event.clear()
      const out = new lib.Queue()
      const ready = new lib.Semaphore(0)
      const waiters = [0, 1, 2].map(() => spawn('eventWaiter', event, 30, out, ready))
      for (let i = 0; i < 3; i++) expect(await ready.acquire({ timeout: 30 })).toBe(true)
      await sleep(0.2)
      await event.set()
      await event.clear()
      expect(await take(out, 3)).toEqual([true, true, true])
      await joinAll(...waiters)
    })
  })

  describe(`${kind} barriers (§5 E40)`, () => {
    const party = (barrier: Lib, out: Lib, timeout?: number) => targets.barrierParty!(...([barrier, out, timeout] as never[])) as Promise<void>

    it('the five wait() results are 0…4, one each, across units and local parties; Barrier(0) raises', async () => {
      const barrier = new lib.Barrier(5)
      const out = new lib.Queue()
      const remote = [spawn('barrierParty', barrier, out), spawn('barrierParty', barrier, out)]
      await Promise.all([party(barrier, out), party(barrier, out), party(barrier, out)])
      expect(((await take(out, 5)) as number[]).sort()).toEqual([0, 1, 2, 3, 4])
      await joinAll(...remote)
      expect(() => new lib.Barrier(0)).toThrow('parties must be >= 1')
    })

    it('the action runs exactly once per trip, in whichever unit arrives last', async () => {
      const action = lib.fromModule(targets.countTrip, fixtureUrl('sync-targets.mjs'), 'countTrip')
      const barrier = new lib.Barrier(3, action)
      const out = new lib.Queue()
      const remote = [spawn('barrierWithAction', barrier, 10, out), spawn('barrierWithAction', barrier, 10, out)]
      const before = (globalThis as { __concTrips?: number }).__concTrips ?? 0
      for (let trip = 0; trip < 10; trip++) await barrier.wait()
      const local = ((globalThis as { __concTrips?: number }).__concTrips ?? 0) - before
      const counts = (await take(out, 2)) as number[]
      expect(local + counts[0]! + counts[1]!).toBe(10)
      await joinAll(...remote)
    })

    it('abort() breaks it for every waiter; reset() frees waiters with BrokenBarrierError and makes it usable again', async () => {
      const barrier = new lib.Barrier(5)
      const out = new lib.Queue()
      const remote = [spawn('barrierParty', barrier, out), spawn('barrierParty', barrier, out)]
      const local = [party(barrier, out), party(barrier, out)]
      for (let i = 0; i < 200 && (await barrier.nWaiting) < 4; i++) await sleep(0.05)
      expect(await barrier.nWaiting).toBe(4)
      await barrier.abort()
      await Promise.all(local)
      expect(await take(out, 4)).toEqual(Array(4).fill('BrokenBarrierError'))
      expect(await barrier.broken).toBe(true)
      await expect(barrier.wait()).rejects.toBeInstanceOf(lib.BrokenBarrierError)
      await barrier.reset()
      expect(await barrier.broken).toBe(false)
      const waiting = [party(barrier, out), party(barrier, out)]
      for (let i = 0; i < 100 && (await barrier.nWaiting) < 2; i++) await sleep(0.02)
      await barrier.reset()
      await Promise.all(waiting)
      expect(await take(out, 2)).toEqual(['BrokenBarrierError', 'BrokenBarrierError'])
      await Promise.all([0, 1, 2, 3, 4].map(() => party(barrier, out)))
      expect(((await take(out, 5)) as number[]).sort()).toEqual([0, 1, 2, 3, 4])
      await joinAll(...remote)
      expect(new lib.BrokenBarrierError()).toBeInstanceOf(lib.RuntimeError)
    })

    it('a party whose wait(0.5) times out breaks the barrier for everyone', async () => {
      const barrier = new lib.Barrier(5)
      const out = new lib.Queue()
      const remote = spawn('barrierParty', barrier, out)
      const t0 = performance.now()
      await party(barrier, out, 0.5)
      expect(performance.now() - t0).toBeGreaterThanOrEqual(400)
      expect(await take(out, 2)).toEqual(['BrokenBarrierError', 'BrokenBarrierError'])
      expect(await barrier.broken).toBe(true)
      await joinAll(remote)
    })

    it('a party killed while it waits breaks the barrier for the others', async () => {
      const barrier = new lib.Barrier(3)
      const out = new lib.Queue()
      const doomed = spawn('barrierParty', barrier, out)
      for (let i = 0; i < 400 && (await barrier.nWaiting) < 1; i++) await sleep(0.05)
      const waiting = party(barrier, out)
      for (let i = 0; i < 100 && (await barrier.nWaiting) < 2; i++) await sleep(0.02)
      doomed.kill()
      await doomed.join()
      await waiting
      expect(await out.get({ timeout: 10 })).toBe('BrokenBarrierError')
      expect(await barrier.broken).toBe(true)
    })

    it('1000 trips across 5 units stay in lockstep', async () => {
      const trips = 1000
      const barrier = new lib.Barrier(5)
      const progress = new lib.Queue()
      const remote = [0, 1, 2, 3, 4].map((p) => spawn('barrierLockstep', barrier, progress, p, trips))
      const done = [0, 0, 0, 0, 0]
      for (let i = 0; i < trips * 5; i++) {
        const [p, trip] = (await progress.get({ timeout: 60 })) as [number, number]
        expect(trip).toBe(done[p])
        // No party reports trip k before every party reported trip k - 1.
        expect(Math.min(...done)).toBeGreaterThanOrEqual(trip - 1)
        done[p] = trip + 1
      }
      expect(done).toEqual([trips, trips, trips, trips, trips])
      await joinAll(...remote)
    }, 120_000)
  })

  describe(`${kind} queues (§5 E41–E43)`, () => {
    it('Queue(6): Empty/Full at once or after the timeout, put and get variants, qsize, full, empty (E41)', async () => {
      const queue = new lib.Queue(6)
      const out = new lib.Queue()
      await joinAll(spawn('queueProbe', queue, out))
      expect(await out.get({ timeout: 5 })).toEqual(['Empty', 'Empty', true, 6, true, 'Full', 'Full', true])
      await expect(queue.getNowait()).rejects.toBeInstanceOf(lib.Empty)
      await queue.put(1)
      await queue.put(2, true)
      await queue.put(3, { block: true, timeout: 1 })
      await queue.putNowait(4)
      expect(await queue.qsize()).toBe(4)
      await expect(queue.get({ timeout: -1 })).rejects.toThrow("'timeout' must be a non-negative number")
      expect(await queue.get(false)).toBe(1)
      expect(await queue.qsize()).toBe(3)
    })

    it('values 1…5 arrive in FIFO order from another unit, any serializable value crosses', async () => {
      const queue = new lib.Queue()
      const values = [1, 2, 3, 4, 5, { nested: [1, 'two'] }, new Map([[1, 2]]), null, 'end']
      await joinAll(spawn('producer', queue, values))
      expect(await take(queue, values.length)).toEqual(values)
      expect(await queue.empty()).toBe(true)
    })

    it('JoinableQueue: join() returns once 4 consumer units called taskDone() for all 10 items (E42)', async () => {
      const queue = new lib.JoinableQueue()
      const done = new lib.Queue()
      const workers = [0, 1, 2, 3].map(() => spawn('joinableWorker', queue, done))
      for (let i = 0; i < 10; i++) await queue.put(i)
      expect(await queue.join(30)).toBe(true)
      expect(((await take(done, 10)) as number[]).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      for (let i = 0; i < 4; i++) await queue.put(null)
      expect(await queue.join(30)).toBe(true)
      await joinAll(...workers)
      await expect(queue.taskDone()).rejects.toThrow('task_done() called too many times')
    })

    it('a closed Queue rejects put/get with "is closed"; an unserializable item fails its put and the queue keeps working (E43)', async () => {
      const queue = new lib.Queue()
      await expect(queue.put(() => 1)).rejects.toThrow()
      await expect(queue.put(new lib.Lock())).rejects.toThrow('Lock objects should only be shared between units through inheritance')
      await queue.put(true)
      expect(await queue.get()).toBe(true)
      queue.close()
      await expect(queue.put(1)).rejects.toThrow(/is closed/)
      await expect(queue.get()).rejects.toBeInstanceOf(lib.ValueError)
    })

    it('4 units, 2 producers and 2 consumers, 10 000 items: every item exactly once, FIFO per producer', async () => {
      const queue = new lib.Queue(100)
      const out = new lib.Queue()
      const consumers = [spawn('consumeAll', queue, out), spawn('consumeAll', queue, out)]
      const producers = [spawn('produceRange', queue, 0, 5000), spawn('produceRange', queue, 5000, 5000)]
      await joinAll(...producers)
      await queue.put(null)
      await queue.put(null)
      const taken = (await take(out, 2, 120)) as number[][]
      await joinAll(...consumers)
      const all = taken.flat().sort((a, b) => a - b)
      expect(all).toHaveLength(10_000)
      expect(all).toEqual(Array.from({ length: 10_000 }, (_, i) => i))
      for (const stream of taken) {
        const low = stream.filter((n) => n < 5000)
        const high = stream.filter((n) => n >= 5000)
        expect(low).toEqual([...low].sort((a, b) => a - b))
        expect(high).toEqual([...high].sort((a, b) => a - b))
      }
    }, 120_000)

    it('nothing is lost when a consumer is terminated while it waits in get()', async () => {
      for (const when of ['before', 'racing'] as const) {
        const queue = new lib.Queue()
        const started = new lib.Event()
        const out = new lib.Queue()
        const getter = spawn('blockedGetter', queue, started, out)
        expect(await started.wait(20)).toBe(true)
        await sleep(0.2)
        if (when === 'before') {
          getter.terminate()
          await getter.join()
          await queue.put('precious')
        } else {
          // The item may be handed to the waiter before its death is known: it must come back.
          getter.terminate()
          await queue.put('precious')
          await getter.join()
        }
        expect(await queue.get({ timeout: 10 })).toBe('precious')
        expect(await queue.qsize()).toBe(0)
        expect(await out.qsize()).toBe(0)
      }
    })

    it('a wait nobody awaits does not keep a unit alive after its target returned', async () => {
      const queue = new lib.Queue()
      const unit = spawn('danglingGet', queue)
      await unit.join(20)
      expect(unit.isAlive()).toBe(false)
      expect(unit.exitCode).toBe(0)
      await queue.put('still here')
      expect(await queue.get({ timeout: 5 })).toBe('still here')
    })

    it('SimpleQueue: put, get, empty, close is idempotent, empty() after close raises OSError', async () => {
      const queue = new lib.SimpleQueue()
      expect(await queue.empty()).toBe(true)
      await joinAll(spawn('producer', queue, ['a', 'b']))
      expect(await queue.get()).toBe('a')
      expect(await queue.empty()).toBe(false)
      expect(await queue.get()).toBe('b')
      queue.close()
      queue.close()
      await expect(queue.empty()).rejects.toBeInstanceOf(lib.OSError)
    })
  })

  describe(`${kind} a unit's own units`, () => {
    it("a unit that returns without joining the unit it gave a primitive to ends after it, and that unit's operations complete, as Python joins them at exit", async () => {
      const queue = new lib.Queue()
      const unit = spawn('startAndReturn', queue)
      expect(await take(queue, 2)).toEqual(['child', 'grandchild'])
      await Promise.race([unit.join(), sleep(20)])
      expect(unit.exitCode).toBe(0)
    }, 60_000)
  })

  describe(`${kind} pipes (§5 E44)`, () => {
    it('objects and bytes round-trip; poll() is false when empty, after about t with a timeout, true with data; 16 MiB round-trips; recv after the peer closed raises EOFError', async () => {
      const [mine, theirs] = lib.Pipe()
      const unit = spawn('echo', theirs)
      expect(await mine.poll()).toBe(false)
      const t0 = performance.now()
      expect(await mine.poll(0.2)).toBe(false)
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150)
      await mine.send({ a: [1, 2, 3] })
      expect(await mine.poll(20)).toBe(true)
      expect(await mine.recv()).toEqual({ a: [1, 2, 3] })
      await mine.sendBytes(new TextEncoder().encode('hello world'), 6)
      expect(new TextDecoder().decode(await mine.recvBytes())).toBe('world')
      const big = new Uint8Array(16 * 1024 * 1024).map((_, i) => i & 0xff)
      await mine.sendBytes(big)
      const back = await mine.recvBytes()
      expect(back.length).toBe(big.length)
      expect(Buffer.compare(Buffer.from(back), Buffer.from(big))).toBe(0)
      await mine.send(null)
      await joinAll(unit)
      await expect(mine.recv()).rejects.toBeInstanceOf(lib.EOFError)
      await mine.close()
      await expect(mine.send(1)).rejects.toBeInstanceOf(lib.OSError)
    }, 60_000)

    it('Pipe(false): send() raises BrokenPipeError once every copy of the receive-only end is closed: the program\'s and those of its units', async () => {
      const [reader, writer] = lib.Pipe(false)
      await writer.send(1)
      expect(await reader.recv()).toBe(1)
      await reader.close()
      await expect(writer.send(2)).rejects.toBeInstanceOf(lib.BrokenPipeError)
      const [r2, w2] = lib.Pipe(false)
      const unit = spawn('recvOne', r2)
      await r2.close()
      await w2.send('to the unit') // the unit's copy is open
      await joinAll(unit)
      // The unit's copy goes once it has ended (a process's about 0.1 s after its exit), which a
      // join() of a unit that ended normally does not wait for: sends meanwhile still go in.
      const broken = async (): Promise<unknown> => {
        for (const started = performance.now(); performance.now() - started < 5_000; await sleep(0.02)) {
          const error = await w2.send('nobody').then(() => undefined, (caught: unknown) => caught)
          if (error !== undefined) return error
        }
        return undefined
      }
      expect(await broken()).toBeInstanceOf(lib.BrokenPipeError)
    }, 30_000)

    it('Pipe(false): a receive-only and a send-only end; the wrong direction raises OSError', async () => {
      const [reader, writer] = lib.Pipe(false)
      expect([reader.readable, reader.writable, writer.readable, writer.writable]).toEqual([true, false, false, true])
      await expect(reader.send(1)).rejects.toBeInstanceOf(lib.OSError)
      await expect(writer.recv()).rejects.toBeInstanceOf(lib.OSError)
      await joinAll(spawn('sendAndClose', writer, [1, 'two', [3]]))
      expect([await reader.recv(), await reader.recv(), await reader.recv()]).toEqual([1, 'two', [3]])
      await expect(reader.recv()).rejects.toBeInstanceOf(lib.EOFError)
    })

    it("Python's idiom: the parent closes its copy of the end it gave a unit; the unit's messages still arrive, then EOFError once the unit has ended", async () => {
      const [mine, theirs] = lib.Pipe()
      const unit = spawn('sendLater', theirs, [1, 'two'], 300)
      await theirs.close()
      expect(await mine.poll()).toBe(false)
      expect(await mine.recv()).toBe(1)
      expect(await mine.recv()).toBe('two')
      await joinAll(unit)
      await expect(mine.recv()).rejects.toBeInstanceOf(lib.EOFError)
      // Every copy of the other end is closed: sending raises, as Python's BrokenPipeError.
      await expect(mine.send('nobody reads this')).rejects.toBeInstanceOf(lib.BrokenPipeError)
      await mine.close()
    }, 30_000)

    it('send() once every copy of the other end is closed raises BrokenPipeError (an OSError), in the program and in a unit, as Python does; while one is open, it sends', async () => {
      // In one program: the other end closed.
      const [a, b] = lib.Pipe()
      await a.send('kept')
      await b.close()
      const error = await a.send('lost').then(() => undefined, (caught: unknown) => caught)
      expect(error).toBeInstanceOf(lib.BrokenPipeError)
      expect(error).toBeInstanceOf(lib.OSError)
      expect((error as Error).message).toBe('[Errno 32] Broken pipe')
      expect((error as { errno: number }).errno).toBe(32)
      await expect(a.sendBytes(new Uint8Array([1]))).rejects.toBeInstanceOf(lib.BrokenPipeError)
      // Reading what came before still works, then EOFError.
      const [c, d] = lib.Pipe()
      await d.send('before')
      await d.close()
      expect(await c.recv()).toBe('before')
      await expect(c.recv()).rejects.toBeInstanceOf(lib.EOFError)
      // A unit that still holds a copy keeps the pipe whole; the program's close alone does not break it.
      const [mine, theirs] = lib.Pipe()
      const result = new lib.Queue()
      const unit = spawn('sendAfterPeerClosed', theirs, result)
      await theirs.close()
      await mine.send('to the unit')
      expect(await mine.recv()).toBe('ready')
      // The unit now sends after the program closed its end: BrokenPipeError there too.
      await mine.close()
      expect(await result.get({ timeout: 30 })).toBe('BrokenPipeError')
      await joinAll(unit)
      // A unit that closes the last copy besides the program's ends the pipe for the reader
      // (EOFError), but the program's own copy is still open: sending works, as in Python, and
      // the program can read it there.
      const [left, right] = lib.Pipe()
      await joinAll(spawn('sendAndClose', right, ['done']))
      expect(await left.recv()).toBe('done')
      await expect(left.recv()).rejects.toBeInstanceOf(lib.EOFError)
      await left.send('to my own copy')
      expect(await right.recv()).toBe('to my own copy')
      await right.close()
      await expect(left.send('now nobody')).rejects.toBeInstanceOf(lib.BrokenPipeError)
    }, 30_000)

    it("Pipe(false): the reader gets EOFError only once every copy of the send-only end is closed: the parent's and those of the units it was given to", async () => {
      const [reader, writer] = lib.Pipe(false)
      const quick = spawn('sendAndClose', writer, ['quick'])
      const slow = spawn('sendLater', writer, ['slow'], 400)
      await writer.close()
      const got: string[] = []
      for (;;) {
        try {
          got.push(await reader.recv())
        } catch (error) {
          expect(error).toBeInstanceOf(lib.EOFError)
          break
        }
      }
      expect(got.sort()).toEqual(['quick', 'slow'])
      await joinAll(quick, slow)
    }, 30_000)

    it("a unit that ends without closing its copy leaves the parent's copy open: no EOFError until the parent closes it", async () => {
      const [reader, writer] = lib.Pipe(false)
      await joinAll(spawn('sendLater', writer, [1], 0))
      expect(await reader.recv()).toBe(1)
      expect(await reader.poll(0.3)).toBe(false)
      await writer.send(2)
      expect(await reader.recv()).toBe(2)
      await writer.close()
      await expect(reader.recv()).rejects.toBeInstanceOf(lib.EOFError)
    }, 30_000)

    it('a unit killed while its own pool tasks carrying the end wait in the queue: the end closes with it', async () => {
      const [reader, writer] = lib.Pipe(false)
      const ready = new lib.Event()
      const unit = spawn('queueAndWait', writer, ready)
      await writer.close()
      expect(await ready.wait(30)).toBe(true)
      expect(await reader.poll(0.2)).toBe(false)
      unit.kill()
      await unit.join()
      expect(await reader.poll(5)).toBe(true)
      await expect(reader.recv()).rejects.toBeInstanceOf(lib.EOFError)
    }, 60_000)

    /** `lock` was released for a unit that died: free now, and the release said so. */
    const releasedForTheDead = async (lock: Lib, warnings: readonly { readonly code?: string | undefined }[]): Promise<void> => {
      expect(await lock.acquire({ timeout: 5 })).toBe(true)
      await lock.release()
      expect(warnings.map((w) => w.code)).toContain('CONC_ABANDONED_LOCK')
    }

    // Node ends a thread's threads with it; a process's processes die with it (no orphans).
    for (const holder of ['poolHolds', 'unitHolds']) {
      it(`a unit killed while its own ${holder === 'poolHolds' ? "pool's workers" : 'units'} hold what it was given: the reader of their pipe end sees the end, their lock is free`, async () => {
        const [reader, writer] = lib.Pipe(false)
        const lock = new lib.Lock()
        const ready = new lib.Event()
        const unit = spawn(holder, writer, lock, ready)
        await writer.close()
        expect(await ready.wait(30)).toBe(true)
        expect(await reader.poll(0.2)).toBe(false)
        expect(await lock.acquire({ timeout: 0.1 })).toBe(false)
        await captureWarnings(async (warnings) => {
          unit.kill()
          await unit.join()
          expect(await reader.poll(5)).toBe(true)
          await expect(reader.recv()).rejects.toBeInstanceOf(lib.EOFError)
          await releasedForTheDead(lock, warnings)
        })
      }, 60_000)
    }

    it("a lock kept by a unit's own unit that ended normally stays locked when the unit is killed later, as in Python", async () => {
      const lock = new lib.Lock()
      const ready = new lib.Event()
      const unit = spawn('childKeptLock', lock, ready)
      expect(await ready.wait(30)).toBe(true)
      unit.kill()
      await unit.join()
      await sleep(0.3)
      expect(await lock.acquire({ timeout: 0.5 })).toBe(false)
    }, 60_000)

    it("a daemon unit's own unit holding a lock is ended with it when it returns normally: the lock is released", async () => {
      const lock = new lib.Lock()
      const ready = new lib.Event()
      await captureWarnings(async (warnings) => {
        await joinAll(spawn('daemonHoldsThenReturn', lock, ready))
        await releasedForTheDead(lock, warnings)
      })
    }, 60_000)

    it("a pool worker that dies after starting a unit that holds a lock: the lock is released, even once the pool has replaced the worker", async () => {
      const lock = new lib.Lock()
      const ready = new lib.Event()
      const pool = new (lib.Pool ?? lib.ThreadPool)({ processes: 1 })
      try {
        await captureWarnings(async (warnings) => {
          const target = lib.fromModule(targets.daemonHoldsThenWorkerExits as Fn, fixtureUrl('sync-targets.mjs'), 'daemonHoldsThenWorkerExits')
          const outcome = await pool.apply(target, [lock, ready]).then(() => 'returned', (error: Error) => error.name)
          expect(outcome).toMatch(/Broken/)
          await releasedForTheDead(lock, warnings)
        })
      } finally {
        pool.terminate()
        await pool.join()
      }
    }, 60_000)

    it('a closed end cannot be given to a unit: OSError("handle is closed") from start(), as Python raises when it pickles one', async () => {
      const [reader, writer] = lib.Pipe(false)
      await writer.close()
      const error = (() => {
        try {
          spawn('sendLater', writer, [1], 0)
        } catch (caught) {
          return caught
        }
        return undefined
      })()
      expect(error).toBeInstanceOf(lib.OSError)
      expect((error as Error).message).toBe('handle is closed')
      await expect(reader.recv()).rejects.toBeInstanceOf(lib.EOFError)
    })
  })

  describe(`${kind} Value and Array: types, negative indices, slices (issue 7 §4)`, () => {
    it('an integer Value refuses a fraction or a string with a TypeError, as Python does', () => {
      const v = new lib.Value('i', 3)
      expect(() => (v.value = 1.5)).toThrow(TypeError)
      expect(() => (v.value = 1.5)).toThrow('int expected instead of float')
      expect(() => (v.value = '1')).toThrow("'1' (string)")
      expect(v.value).toBe(3)
      expect(() => new lib.Value('i', 2.5)).toThrow(TypeError)
      expect(() => new lib.Value('q', 2.5)).toThrow(TypeError)
      expect(() => new lib.Array('h', [1, 2.5])).toThrow(TypeError)
      const d = new lib.Value('d', 0)
      d.value = 1.5
      expect(d.value).toBe(1.5)
    })

    it('get/set and brackets index from the end with negative indices; out of range is IndexError', () => {
      const arr = new lib.Array('i', [1, 2, 3, 4, 5])
      expect(arr.get(-1)).toBe(5)
      expect(arr[-1]).toBe(5)
      expect(arr[-5]).toBe(1)
      arr[-1] = 50
      arr.set(-2, 40)
      expect(arr.toArray()).toEqual([1, 2, 3, 40, 50])
      for (const read of [() => arr.get(5), () => arr.get(-6), () => arr[5], () => arr[-6], () => arr.set(5, 1), () => (arr[-6] = 1)]) {
        expect(read).toThrow(RangeError)
        expect(read).toThrow('invalid index')
        try {
          read()
        } catch (error) {
          expect((error as Error).name).toBe('IndexError')
          expect(lib.isConcError(error)).toBe(true)
        }
      }
      expect(() => arr.get(1.5)).toThrow(TypeError)
      expect(() => arr[1.5]).toThrow(TypeError)
    })

    it('slices read and assign as Python slices do, with a step and from the end', () => {
      const arr = new lib.Array('i', [0, 1, 2, 3, 4, 5])
      expect(arr.slice(1, 3)).toEqual([1, 2])
      expect(arr.slice(-2)).toEqual([4, 5])
      expect(arr.slice(null, null, 2)).toEqual([0, 2, 4])
      expect(arr.slice(null, null, -1)).toEqual([5, 4, 3, 2, 1, 0])
      expect(arr.slice(4, 1, -2)).toEqual([4, 2])
      expect(arr.slice(10, 20)).toEqual([])
      arr.setSlice(1, 3, [10, 20])
      expect(arr.toArray()).toEqual([0, 10, 20, 3, 4, 5])
      arr.setSlice(-2, null, [40, 50])
      arr.setSlice(null, null, [7, 7, 7], 2)
      expect(arr.toArray()).toEqual([7, 10, 7, 3, 7, 50])
      expect(() => arr.setSlice(0, 2, [1])).toThrow(lib.ValueError)
      expect(() => arr.setSlice(0, 2, [1])).toThrow('Can only assign sequence of same size')
      expect(() => arr.setSlice(0, 2, [1, 2.5])).toThrow(TypeError)
      expect(() => arr.slice(0, 2, 0)).toThrow('slice step cannot be zero')
      expect(arr.toArray()).toEqual([7, 10, 7, 3, 7, 50])
    })

    it('a unit uses negative indices and slices on the same array, and gets the same errors', async () => {
      const arr = new lib.Array('i', [1, 2, 3, 4])
      const value = new lib.Value('i', 0)
      const out = new lib.Queue()
      await joinAll(spawn('arrayIndexing', arr, value, out))
      expect(await out.get({ timeout: 10 })).toEqual([9, [10, 9], [9, 10, 8, 7], ['IndexError', 'ValueError', 'TypeError']])
      expect(arr.toArray()).toEqual([7, 8, 10, 9])
      expect(await arr.load()).toEqual([7, 8, 10, 9])
      expect(value.value).toBe(0)
    })

    it('sizes, counts and timeouts of primitives: TypeError showing a non-number, ValueError out of range', async () => {
      const typeError = (fn: () => unknown, shown: string) => {
        expect(fn).toThrow(TypeError)
        expect(fn).toThrow(shown)
      }
      typeError(() => new lib.Barrier('2'), "'2' (string)")
      typeError(() => new lib.Barrier(2, null, '1'), "'1' (string)")
      typeError(() => new lib.Semaphore('1'), "'1' (string)")
      typeError(() => new lib.BoundedSemaphore(1.5), '1.5')
      typeError(() => new lib.Queue('2'), "'2' (string)")
      typeError(() => new lib.Array('i', 2.5), '2.5')
      expect(() => new lib.Barrier(0)).toThrow('parties must be >= 1')
      expect(() => new lib.Array('i', -1)).toThrow(lib.ValueError)
      const event = new lib.Event()
      await expect(event.wait('1')).rejects.toThrow("'1' (string)")
      await expect(event.wait('1')).rejects.toBeInstanceOf(TypeError)
      await expect(new lib.Queue().get({ timeout: '1' })).rejects.toBeInstanceOf(TypeError)
      await expect(new lib.Lock().acquire(true, '1')).rejects.toBeInstanceOf(TypeError)
      await expect(new lib.Semaphore(1).release('2')).rejects.toBeInstanceOf(TypeError)
      await expect(event.wait(Number.NaN)).rejects.toBeInstanceOf(lib.ValueError)
      const [end] = lib.Pipe()
      const bytes = new Uint8Array(4)
      await expect(end.sendBytes(bytes, '1')).rejects.toBeInstanceOf(TypeError)
      await expect(end.sendBytes(bytes, -1)).rejects.toThrow('offset is negative')
      await expect(end.sendBytes(bytes, 5)).rejects.toThrow('buffer length < offset')
      await expect(end.sendBytes(bytes, 1, 4)).rejects.toThrow('buffer length < offset + size')
      await expect(end.recvBytes(-1)).rejects.toThrow(lib.ValueError)
    })

    it('waits of 30 days (more than a Node timer allows) wait', async () => {
      const event = new lib.Event()
      const queue = new lib.Queue()
      const waiting = event.wait(2592000)
      const getting = queue.get({ timeout: 2592000 })
      const outcome = await Promise.race([waiting.then(() => 'settled'), getting.then(() => 'settled'), sleep(0.3).then(() => 'pending')])
      expect(outcome).toBe('pending')
      await event.set()
      await queue.put('x')
      expect(await waiting).toBe(true)
      expect(await getting).toBe('x')
    })
  })

  describe(`${kind} shared values (§5 E45)`, () => {
    it('Value writes made in a unit (int, double, short, int64, char) are visible after join', async () => {
      const values = [new lib.Value('i', 0), new lib.Value('d', 0), new lib.Value('h', 0), new lib.Value('q', 0n), new lib.Value('c', 'a')]
      await joinAll(spawn('writeValues', values))
      expect(values.map((v) => v.value)).toEqual([7, 3.25, -12, 2n ** 40n, 'x'])
      expect(await values[0].load()).toBe(7)
    })

    it('Array: zero-filled from a size, prefix sums written in a unit are visible, indexing and length', async () => {
      expect([...new lib.Array('i', 10)]).toEqual(Array(10).fill(0))
      const arr = new lib.Array('i', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(arr.length).toBe(10)
      await joinAll(spawn('prefixSums', arr))
      expect(arr.toArray()).toEqual([1, 3, 6, 10, 15, 21, 28, 36, 45, 55])
      expect(arr[9]).toBe(55)
      arr[0] = 100
      expect(arr.get(-10)).toBe(100)
      expect(arr.slice(0, 2)).toEqual([100, 3])
    })

    it('getLock() exists unless lock: false; a lock may be given; anything else raises', () => {
      expect(new lib.Value('i', 1).getLock()).toBeInstanceOf(lib.RLock)
      const lock = new lib.Lock()
      expect(new lib.Value('d', 1, { lock }).getLock()).toBe(lock)
      expect(() => new lib.Value('i', 1, { lock: false }).getLock()).toThrow(TypeError)
      expect(() => new lib.Value('i', 1, { lock: 'lock' })).toThrow(TypeError)
      expect(() => new lib.Value('z', 1)).toThrow(/bad typecode/)
    })

    it('increments under getLock() from 3 units and this one are never lost', async () => {
      const counter = new lib.Value('i', 0)
      const remote = [0, 1, 2].map(() => spawn('increment', counter, 200))
      await targets.increment!(...([counter, 200] as never[]))
      await joinAll(...remote)
      expect(counter.value).toBe(800)
    }, 60_000)

    it("a pool's initializer receives primitives in initargs, as Python's Pool(initializer, initargs) does", async () => {
      const Executor = lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor
      const ref = (name: string) => lib.fromModule(targets[name], fixtureUrl('sync-targets.mjs'), name)
      const queue = new lib.Queue()
      const executor = new Executor({ maxWorkers: 2, initializer: ref('poolInit'), initargs: [queue] })
      try {
        const futures = [1, 2, 3, 4].map((x) => executor.submit(ref('poolTask'), x))
        expect(await Promise.all(futures.map((f: Lib) => f.result(30)))).toEqual([2, 4, 6, 8])
        expect(((await take(queue, 4)) as number[]).sort()).toEqual([1, 2, 3, 4])
      } finally {
        await executor.shutdown()
      }
    }, 60_000)

    it('a primitive arrives as the same class, nested in arrays and objects too', async () => {
      const out = new lib.Queue()
      const lock = new lib.Lock()
      await joinAll(spawn('describeArgs', out, lock, [new lib.Event()], { q: new lib.JoinableQueue() }, new lib.Array('d', 2)))
      expect(await out.get({ timeout: 5 })).toEqual(['Lock', ['Event'], { q: 'JoinableQueue' }, 'SharedArray'])
    })
  })

  // Issue 7: how values and primitives travel, whatever their shape, and what a dead holder leaves.
  const handleTargetsUrl = fixtureUrl('handle-targets.mjs')
  let handleTargets: Record<string, Fn>
  /** A target of handle-targets.mjs as an explicit reference. */
  const ref = (name: string): Fn => {
    const fn = handleTargets[name]
    if (fn === undefined) throw new Error(`no fixture target ${name}`)
    return lib.fromModule(fn, handleTargetsUrl, name) as Fn
  }
  const spawnRef = (name: string, ...args: unknown[]): Unit => {
    const Runner = lib.Thread ?? lib.Process
    const unit = new Runner({ target: ref(name), args }) as Unit
    units.push(unit)
    unit.start()
    return unit
  }
  /**
   * A cyclic graph with shared references, in every container structured clone keeps (arrays,
   * plain objects, Map, Set), with a primitive inside when one is given.
   */
  const graph = (lock?: Lib): Lib => {
    const g: Lib = { name: 'graph' }
    g.self = g
    const shared = { owner: g }
    g.list = [shared, shared]
    g.map = new Map<string, unknown>([['me', g]])
    g.set = new Set([g])
    g.deep = { deeper: { root: g } }
    if (lock !== undefined) {
      g.lock = lock
      g.again = lock
      g.map.set('lock', lock)
    }
    return g
  }
  const intact = { self: true, shared: true, back: true, map: true, set: true, nested: true }
  const intactWithLock = { ...intact, lock: 'Lock', sameLock: true, took: true }

  beforeAll(async () => {
    handleTargets = (await import(handleTargetsUrl)) as Record<string, Fn>
  })

  describe(`${kind} circular and shared references (issue 7 §4)`, () => {
    it('runner args keep cycles and shared references, with and without a primitive inside', async () => {
      const out = new lib.Queue()
      await joinAll(spawnRef('reportGraph', graph(), out))
      expect(await out.get({ timeout: 10 })).toEqual(intact)
      const lock = new lib.Lock()
      await joinAll(spawnRef('reportGraph', graph(lock), out))
      expect(await out.get({ timeout: 10 })).toEqual(intactWithLock)
      expect(await lock.locked()).toBe(false)
    })

    it('subclass fields keep cycles and shared references, also between fields', async () => {
      const out = new lib.Queue()
      for (const g of [graph(), graph(new lib.Lock())]) {
        const GraphReporter = handleTargets.GraphReporter as unknown as new (graph: Lib, out: Lib) => Unit
        const unit = new GraphReporter(g, out)
        units.push(unit)
        unit.start()
        await joinAll(unit)
        expect(await out.get({ timeout: 10 })).toEqual({ ...(g.lock === undefined ? intact : intactWithLock), fields: true })
      }
    })

    it('initargs and task arguments keep cycles and shared references, with and without a primitive inside', async () => {
      const Executor = lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor
      const Pool = lib.ThreadPool ?? lib.Pool
      for (const g of [graph(), graph(new lib.Lock())]) {
        const expected = g.lock === undefined ? intact : intactWithLock
        const executor = new Executor({ maxWorkers: 1, initializer: ref('keepGraph'), initargs: [g] })
        // One task at a time: map's two tasks each take the lock without blocking (async tasks
        // otherwise overlap in a worker, and the second would find it taken by the first).
        const pool = new Pool({ processes: 1, initializer: ref('keepGraph'), initargs: [g], concurrentTasksPerWorker: 1 })
        try {
          expect(await executor.submit(ref('inspectKept')).result(30)).toEqual(expected)
          expect(await executor.submit(ref('inspectGraph'), g).result(30)).toEqual(expected)
          expect(await pool.apply(ref('inspectKept'))).toEqual(expected)
          expect(await pool.apply(ref('inspectGraph'), [g])).toEqual(expected)
          expect(await pool.map(ref('inspectGraph'), [g, g])).toEqual([expected, expected])
        } finally {
          pool.terminate()
          await pool.join()
          await executor.shutdown()
        }
      }
    }, 60_000)
  })

  describe(`${kind} units that hold a primitive and die without using it (issue 7 §6)`, () => {
    const party = (barrier: Lib, out: Lib, timeout?: number) => targets.barrierParty!(...([barrier, out, timeout] as never[])) as Promise<void>

    it('a Barrier breaks when a unit that was given it dies before calling it, while parties wait', async () => {
      const barrier = new lib.Barrier(3)
      const out = new lib.Queue()
      const idle = spawnRef('holdOnly', barrier, 60)
      const waiting = party(barrier, out)
      for (let i = 0; i < 200 && (await barrier.nWaiting) < 1; i++) await sleep(0.02)
      await sleep(0.3) // the idle unit is up and holds its handle
      idle.kill()
      await idle.join()
      await waiting
      expect(await out.get({ timeout: 10 })).toBe('BrokenBarrierError')
      expect(await barrier.broken).toBe(true)
    })

    it('a Barrier breaks when a unit that was given it fails before anyone waits: a later wait() raises at once', async () => {
      const barrier = new lib.Barrier(2)
      // The unit's failure is expected: no traceback on standard error.
      lib.setExcepthook(() => {})
      const failed = spawnRef('failWith', barrier)
      try {
        await failed.join()
      } finally {
        lib.setExcepthook(null)
      }
      expect(failed.exitCode).toBe(1)
      const t0 = performance.now()
      expect(await errorName(barrier.wait(20))).toBe('BrokenBarrierError')
      expect(performance.now() - t0).toBeLessThan(10_000)
    })

    it("a Barrier breaks when a unit's own child that was given it fails, though that unit ends at once", async () => {
      // Several times: the unit used to end, now and then, before it had recovered what its
      // child held (its event loop had nothing left but an unref'd timer), and the barrier
      // never broke.
      for (let round = 0; round < 5; round++) {
        const barrier = new lib.Barrier(2)
        const middle = spawnRef('forwardToFailing', barrier)
        const t0 = performance.now()
        expect(await errorName(barrier.wait(8))).toBe('BrokenBarrierError')
        expect(performance.now() - t0, `round ${round}`).toBeLessThan(6_000)
        await joinAll(middle)
      }
    }, 60_000)

    it('a Lock held by someone else, an Event and a Queue are untouched by a holder that dies without using them', async () => {
      const lock = new lib.Lock()
      await lock.acquire()
      const event = new lib.Event()
      const queue = new lib.Queue()
      await queue.put('kept')
      const idle = spawnRef('holdOnly', [lock, event, queue], 60)
      await sleep(0.3)
      idle.kill()
      await idle.join()
      await sleep(0.3) // past the owner's grace period for late messages
      expect(await lock.locked()).toBe(true)
      await lock.release()
      expect(await event.isSet()).toBe(false)
      expect(await queue.get({ timeout: 5 })).toBe('kept')
    })
  })

  describe(`${kind} values that cannot be sent through a primitive (issue 7 §3)`, () => {
    it('Queue.put, SimpleQueue.put and Connection.send of a function raise ConcTypeError (ERR_CONC_DATA_CLONE), naming what failed, and send nothing', async () => {
      const queue = new lib.Queue()
      const simple = new lib.SimpleQueue()
      const joinable = new lib.JoinableQueue()
      const [mine, theirs] = lib.Pipe()
      const fn = () => 1
      for (const [what, attempt] of [
        ['Queue.put', () => queue.put(fn)],
        ['Queue.put', () => joinable.put({ nested: [fn] })],
        ['SimpleQueue.put', () => simple.put(fn)],
        ['Connection.send', () => mine.send(fn)],
      ] as const) {
        const error = (await attempt().catch((e: unknown) => e)) as Error & { code?: string }
        expect(error).toBeInstanceOf(lib.ConcTypeError)
        expect(error.code).toBe('ERR_CONC_DATA_CLONE')
        expect(error.message).toContain(what)
        expect(error.message).toMatch(/function|could not be cloned/)
      }
      expect(await queue.qsize()).toBe(0)
      expect(await joinable.qsize()).toBe(0)
      expect(await simple.empty()).toBe(true)
      expect(await theirs.poll()).toBe(false)
      // From a unit: for a process the value would cross to the owner.
      const out = new lib.Queue()
      await joinAll(spawnRef('sendUnclonable', queue, simple, theirs, out))
      const failure = { concTypeError: true, code: 'ERR_CONC_DATA_CLONE', isConc: true }
      expect(await out.get({ timeout: 10 })).toEqual([failure, failure, failure])
      expect(await queue.qsize()).toBe(0)
      expect(await simple.empty()).toBe(true)
      expect(await mine.poll()).toBe(false)
      await queue.put('still works')
      expect(await queue.get({ timeout: 5 })).toBe('still works')
    })
  })
}
