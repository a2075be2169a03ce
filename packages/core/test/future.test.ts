/** Future, wait() and asCompleted() (python-api.md §5 G55, G58), backend-free. */
import { describe, expect, it, vi } from 'vitest'
import {
  ALL_COMPLETED,
  CancelledError,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  InvalidStateError,
  TimeoutError,
  asCompleted,
  wait,
} from '../src/index.js'
import { describe as describeValue } from '../src/internal/messages.js'
import { reportedDuring } from './reported.js'

const later = (ms: number, fn: () => void): void => void setTimeout(fn, ms)

describe('Future (G55)', () => {
  it('runs done-callbacks on result, exception and cancel, at once if already done', async () => {
    const calls: string[] = []
    const a = new Future<number>()
    a.addDoneCallback(() => calls.push('result'))
    a.setResult(1)
    const b = new Future()
    b.addDoneCallback(() => calls.push('exception'))
    b.setException(new Error('x'))
    const c = new Future()
    c.addDoneCallback((f) => calls.push(`cancel ${f.cancelled()}`))
    c.cancel()
    a.addDoneCallback(() => calls.push('immediate'))
    expect(calls).toEqual(['result', 'exception', 'cancel true', 'immediate'])
    await expect(b).rejects.toThrow('x')
  })

  it('logs a throwing callback and still runs the later ones', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const f = new Future<number>()
    const calls: number[] = []
    f.addDoneCallback(() => {
      throw new Error('callback failed')
    })
    f.addDoneCallback(() => calls.push(2))
    f.setResult(1)
    expect(calls).toEqual([2])
    expect(String(error.mock.calls[0]?.[0])).toMatch(/^exception calling callback for <Future/)
    error.mockRestore()
  })

  it('cancel() is true when pending or cancelled, false when running or finished', () => {
    const pending = new Future()
    expect(pending.cancel()).toBe(true)
    expect(pending.cancel()).toBe(true)
    expect(pending.cancelled() && pending.done()).toBe(true)
    const running = new Future()
    expect(running.setRunningOrNotifyCancel()).toBe(true)
    expect(running.running()).toBe(true)
    expect(running.cancel()).toBe(false)
    const finished = new Future()
    finished.setResult(1)
    expect(finished.cancel()).toBe(false)
    expect(pending.setRunningOrNotifyCancel()).toBe(false)
  })

  it('result(0) on pending → TimeoutError; on cancelled → CancelledError; on failed → the error', async () => {
    const pending = new Future()
    await expect(pending.result(0)).rejects.toBeInstanceOf(TimeoutError)
    await expect(pending.result(-1)).rejects.toBeInstanceOf(TimeoutError)
    await expect(pending.exception(0.05)).rejects.toBeInstanceOf(TimeoutError)
    const cancelled = new Future()
    cancelled.cancel()
    await expect(cancelled.result(0)).rejects.toBeInstanceOf(CancelledError)
    await expect(cancelled.exception()).rejects.toBeInstanceOf(CancelledError)
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError)
    const failed = new Future()
    const error = new RangeError('no')
    failed.setException(error)
    await expect(failed.result(0)).rejects.toBe(error)
    expect(await failed.exception()).toBe(error)
    const ok = new Future<number>()
    later(20, () => ok.setResult(7))
    expect(await ok.result(5)).toBe(7)
    expect(await ok.exception()).toBeNull()
    expect(await ok).toBe(7)
  })

  it('awaited while pending, it settles as the call ends: value, error or cancel; and says how', async () => {
    const ok = new Future<number>()
    const bad = new Future<number>()
    const gone = new Future<number>()
    const waiting = [ok.then((v) => v * 2), Promise.allSettled([bad, bad]), Promise.allSettled([gone])]
    expect(String(bad)).toBe('<Future state=pending>')
    const error = new RangeError('no')
    later(5, () => {
      ok.setResult(21)
      expect(bad.setRunningOrNotifyCancel()).toBe(true)
      bad.setException(error)
      gone.cancel()
    })
    const [doubled, failed, cancelled] = await Promise.all(waiting)
    expect(doubled).toBe(42)
    expect(failed).toEqual([
      { status: 'rejected', reason: error },
      { status: 'rejected', reason: error },
    ])
    expect((cancelled as PromiseSettledResult<number>[])[0]).toMatchObject({ status: 'rejected', reason: expect.any(CancelledError) })
    expect(String(ok)).toBe('<Future state=finished returned number>')
    expect(String(bad)).toBe('<Future state=finished raised RangeError>')
    expect(String(gone)).toBe('<Future state=cancelled>')
    expect([bad.done(), bad.running(), bad.cancelled(), bad.cancel()]).toEqual([true, false, false, false])
    expect(() => bad.setRunningOrNotifyCancel()).toThrow(/^Future in unexpected state: FINISHED$/)
    expect(() => bad.setResult(1)).toThrow(/^FINISHED: <Future state=finished raised RangeError>$/)
    await expect(bad).rejects.toBe(error)
    expect(await ok).toBe(21)
  })

  it('is a native promise: awaited and collected by Promise.all as itself, with catch and finally', async () => {
    const f = new Future<number>()
    expect(f).toBeInstanceOf(Promise)
    expect(f).toBeInstanceOf(Future)
    // No wrapper promise and no thenable job: `await` and `Promise.all` take the future itself.
    expect(Promise.resolve(f)).toBe(f)
    const chained = f.then((v) => v + 1)
    expect(Object.getPrototypeOf(chained)).toBe(Promise.prototype)
    const finished: string[] = []
    const all = Promise.all([f, f.finally(() => finished.push('finally'))])
    f.setResult(1)
    expect(await all).toEqual([1, 1])
    expect(await chained).toBe(2)
    expect(finished).toEqual(['finally'])
    const bad = new Future()
    bad.setException(new RangeError('no'))
    expect(await bad.catch((e: unknown) => (e as Error).message)).toBe('no')
  })

  it('result() and exception() with no timeout, asked while pending, give the outcome once it comes', async () => {
    const ok = new Future<number>()
    const bad = new Future<number>()
    const gone = new Future<number>()
    const error = new RangeError('no')
    const asked = Promise.allSettled([ok.result(), ok.exception(), bad.result(), bad.exception(), gone.result(), gone.exception()])
    later(5, () => {
      ok.setResult(7)
      bad.setException(error)
      gone.cancel()
    })
    const [r1, e1, r2, e2, r3, e3] = await asked
    expect(r1).toEqual({ status: 'fulfilled', value: 7 })
    expect(e1).toEqual({ status: 'fulfilled', value: null })
    expect(r2).toEqual({ status: 'rejected', reason: error })
    expect(e2).toEqual({ status: 'fulfilled', value: error })
    expect(r3).toMatchObject({ status: 'rejected', reason: expect.any(CancelledError) })
    expect(e3).toMatchObject({ status: 'rejected', reason: expect.any(CancelledError) })
  })

  it('a failed or cancelled future nobody awaits is not an unhandled rejection', async () => {
    const failed = new Future()
    const cancelled = new Future()
    const { unhandled: seen } = await reportedDuring(() => {
      failed.setException(new RangeError('nobody asks'))
      cancelled.cancel()
      const running = new Future()
      running.setRunningOrNotifyCancel()
      running.setException(new Error('nobody asks either'))
    })
    expect(seen).toEqual([])
    // Awaiting them later still gives their outcome.
    await expect(failed).rejects.toThrow('nobody asks')
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError)
  })

  it('settles in the order its outcomes are set, a failure as soon as a value', async () => {
    const a = new Future<string>()
    const b = new Future<string>()
    const race = Promise.race([a, b])
    const order: string[] = []
    const c = new Future<string>()
    const d = new Future<string>()
    c.then(() => order.push('c ok'), () => order.push('c failed'))
    d.then(() => order.push('d ok'), () => order.push('d failed'))
    a.setException(new Error('a failed first'))
    b.setResult('b')
    c.setException(new Error('c'))
    d.setResult('d')
    await expect(race).rejects.toThrow('a failed first')
    expect(order).toEqual(['c failed', 'd ok'])
  })

  it('a thenable value that fails, or the future itself as its value, is no unhandled rejection', async () => {
    const failing = new Future()
    const self = new Future()
    const { unhandled: seen } = await reportedDuring(() => {
      failing.setResult({ then: (_: unknown, reject: (e: unknown) => void) => reject(new Error('thenable failed')) })
      self.setResult(self)
    })
    expect(seen).toEqual([])
    expect(failing.done() && !failing.cancelled()).toBe(true)
    await expect(failing).rejects.toThrow('thenable failed')
    await expect(self).rejects.toBeInstanceOf(TypeError)
  })

  it('can be subclassed: the subclass settles, awaits and fails as a Future does', async () => {
    class Tagged<T> extends Future<T> {
      readonly tag = 'mine'
    }
    const ok = new Tagged<number>()
    const asked = ok.result()
    ok.setResult(1)
    expect(await ok).toBe(1)
    expect(await asked).toBe(1)
    const calls: string[] = []
    const bad = new Tagged<number>()
    bad.addDoneCallback(() => calls.push('bad done'))
    bad.setException(new RangeError('no'))
    const gone = new Tagged<number>()
    gone.addDoneCallback(() => calls.push('gone done'))
    expect(gone.cancel()).toBe(true)
    expect(calls).toEqual(['bad done', 'gone done'])
    await expect(bad).rejects.toThrow('no')
    await expect(gone).rejects.toBeInstanceOf(CancelledError)
    expect(Object.getPrototypeOf(bad.then(() => 0, () => 1))).toBe(Promise.prototype)
    expect(bad.tag).toBe('mine')
  })

  it('is named Future in messages, though its constructor is Promise', () => {
    expect(describeValue(new Future())).toBe('an object of type Future')
    expect(describeValue(Promise.resolve())).toBe('an object of type Promise')
  })

  it('is made without an executor: Future.resolve and friends say to use Promise', () => {
    expect(() => Future.resolve(1)).toThrow(TypeError)
    expect(() => Future.resolve(1)).toThrow(/^Future takes no executor/)
    expect(() => new (Future as unknown as new (e: unknown) => unknown)(() => undefined)).toThrow(/^Future takes no executor/)
  })

  it('a second setResult throws InvalidStateError', () => {
    const f = new Future<number>()
    f.setResult(1)
    expect(() => f.setResult(2)).toThrow(InvalidStateError)
    expect(() => f.setResult(2)).toThrow(/^FINISHED: <Future/)
    expect(() => f.setException(new Error())).toThrow(InvalidStateError)
  })
})

describe('wait() and asCompleted() (G58)', () => {
  const done = <T>(value: T): Future<T> => {
    const f = new Future<T>()
    f.setResult(value)
    return f
  }
  const failed = (): Future<never> => {
    const f = new Future<never>()
    f.setException(new Error('failed'))
    return f
  }

  it('FIRST_COMPLETED returns when one finishes', async () => {
    const slow = new Future()
    const fast = new Future()
    later(10, () => fast.setResult(1))
    const r = await wait([slow, fast], { returnWhen: FIRST_COMPLETED })
    expect([...r.done]).toEqual([fast])
    expect([...r.notDone]).toEqual([slow])
    slow.cancel()
  })

  it('FIRST_EXCEPTION returns on a failure, including an already-failed input; cancel is not one', async () => {
    const pending = new Future()
    const bad = failed()
    let r = await wait([pending, bad], { returnWhen: FIRST_EXCEPTION })
    expect(r.done.has(bad)).toBe(true)
    const c = new Future()
    c.cancel()
    const p2 = new Future()
    later(10, () => p2.setException(new Error('later')))
    r = await wait([c, p2, pending], { returnWhen: FIRST_EXCEPTION })
    expect(r.done).toEqual(new Set([c, p2]))
    const okOnly = [done(1), done(2)]
    r = await wait(okOnly, { returnWhen: FIRST_EXCEPTION })
    expect(r.notDone.size).toBe(0)
    pending.cancel()
  })

  it('ALL_COMPLETED and a timeout split the set without throwing; duplicates collapse', async () => {
    const a = done(1)
    const b = new Future()
    let r = await wait([a, a, b], { timeout: 0.05, returnWhen: ALL_COMPLETED })
    expect(r.done).toEqual(new Set([a]))
    expect(r.notDone).toEqual(new Set([b]))
    later(10, () => b.setResult(2))
    r = await wait([a, b])
    expect(r.done.size).toBe(2)
  })

  it('asCompleted yields finished futures first, each once, then times out with the count', async () => {
    const a = done('a')
    const b = new Future<string>()
    const c = new Future<string>()
    const d = new Future<string>()
    later(10, () => b.setResult('b'))
    const seen: unknown[] = []
    const error = await (async () => {
      for await (const f of asCompleted([a, a, b, c, d], 0.2)) seen.push(f)
    })().catch((e: unknown) => e)
    expect(seen).toEqual([a, b])
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as Error).message).toBe('2 (of 4) futures unfinished')
  })
})
