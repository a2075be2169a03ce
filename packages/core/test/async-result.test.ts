/** AsyncResult and MapResult (python-api.md, multiprocessing.pool), backend-free. */
import { describe, expect, it } from 'vitest'
import { AsyncResult, ConcTypeError, TimeoutError, ValueError } from '../src/index.js'
import { MapResult } from '../src/executor/async-result.js'
import { describe as describeValue } from '../src/internal/messages.js'
import { reportedDuring } from './reported.js'

describe('AsyncResult', () => {
  it('is a native promise: awaited and collected by Promise.all as itself', async () => {
    const r = new AsyncResult<number>()
    const m = new MapResult<number>(2, 1, {})
    for (const p of [r, m]) {
      expect(p).toBeInstanceOf(Promise)
      // No wrapper promise and no thenable job: `await` and `Promise.all` take it as it is.
      expect(Promise.resolve(p)).toBe(p)
    }
    expect(m).toBeInstanceOf(AsyncResult)
    const chained = r.then((v) => v + 1)
    expect(Object.getPrototypeOf(chained)).toBe(Promise.prototype)
    const all = Promise.all([r, m])
    r._settle(true, 1)
    m._chunk(0, [2, 3])
    expect(await all).toEqual([1, [2, 3]])
    expect(await chained).toBe(2)
    const bad = new AsyncResult()
    bad._settle(false, new RangeError('no'))
    expect(await bad.catch((e: unknown) => (e as Error).message)).toBe('no')
  })

  it('runs callback / errorCallback before get(), wait() and await give the result, as Python sets its event after them', async () => {
    const order: string[] = []
    const ok = new AsyncResult<number>({ callback: (v) => order.push(`callback ${v}`) })
    const bad = new AsyncResult<number>({ errorCallback: (e) => order.push(`errorCallback ${(e as Error).message}`) })
    const waits = [
      ok.get().then((v) => order.push(`get ${v}`)),
      ok.wait().then(() => order.push('wait ok')),
      ok.then((v) => order.push(`await ${v}`)),
      bad.wait().then(() => order.push('wait bad')),
      bad.get(5).catch((e: unknown) => order.push(`get failed ${(e as Error).message}`)),
    ]
    ok._settle(true, 4)
    bad._settle(false, new Error('x'))
    await Promise.all(waits)
    expect([...order].sort()).toEqual(['await 4', 'callback 4', 'errorCallback x', 'get 4', 'get failed x', 'wait bad', 'wait ok'])
    const at = (entry: string): number => order.indexOf(entry)
    for (const after of ['get 4', 'wait ok', 'await 4']) expect(at('callback 4')).toBeLessThan(at(after))
    for (const after of ['wait bad', 'get failed x']) expect(at('errorCallback x')).toBeLessThan(at(after))
  })

  it('a callback that throws is an uncaught exception; the result and the other callbacks are not affected', async () => {
    const calls: number[] = []
    const first = new AsyncResult<number>({ callback: () => {
      throw new Error('callback failed')
    } })
    const second = new AsyncResult<number>({ callback: (v) => calls.push(v) })
    const seen = await reportedDuring(() => {
      first._settle(true, 1)
      second._settle(true, 2)
    })
    expect(seen.uncaught.map((e) => (e as Error).message)).toEqual(['callback failed'])
    expect(seen.unhandled).toEqual([])
    expect(calls).toEqual([2])
    expect(await first).toBe(1)
    expect(first.successful()).toBe(true)
  })

  it('a failed result nobody awaits is not an unhandled rejection; asked later, it gives its error', async () => {
    const failed = new AsyncResult()
    const chunks = new MapResult(4, 2, {})
    const seen = await reportedDuring(() => {
      failed._settle(false, new RangeError('nobody asks'))
      chunks._chunk(0, undefined, new RangeError('chunk failed'))
      chunks._chunk(2, [1, 2])
    })
    expect(seen).toEqual({ unhandled: [], uncaught: [] })
    await expect(failed).rejects.toThrow('nobody asks')
    await expect(failed.get()).rejects.toThrow('nobody asks')
    await expect(chunks.get(1)).rejects.toThrow('chunk failed')
    expect([failed.successful(), chunks.successful()]).toEqual([false, false])
  })

  it('get(timeout) throws TimeoutError and wait(timeout) returns once the time is up; after many short waits the result still comes', async () => {
    const r = new AsyncResult<string>()
    await expect(r.get(0)).rejects.toBeInstanceOf(TimeoutError)
    await expect(r.get(0.02)).rejects.toBeInstanceOf(TimeoutError)
    await r.wait(0.02)
    await r.wait(0)
    expect(r.ready()).toBe(false)
    expect(() => r.successful()).toThrow(ValueError)
    expect(() => r.successful()).toThrow('<AsyncResult pending> not ready')
    // Many short waits on a long task (Python's `while not r.ready(): r.wait(0.001)`).
    for (let i = 0; i < 50; i++) await r.wait(0.001)
    const late = r.get(5)
    setTimeout(() => r._settle(true, 'late'), 10)
    expect(await late).toBe('late')
    expect(r.ready() && r.successful()).toBe(true)
    expect(String(r)).toBe('<AsyncResult ready>')
  })

  it('a bad timeout is a rejection, not a throw', async () => {
    const r = new AsyncResult()
    const got = r.get('5' as never)
    const waited = r.wait('5' as never)
    await expect(got).rejects.toBeInstanceOf(TypeError)
    await expect(waited).rejects.toBeInstanceOf(TypeError)
  })

  it('is named AsyncResult in messages, though its constructor is Promise', () => {
    expect(describeValue(new AsyncResult())).toBe('an object of type AsyncResult')
  })

  it('is made by pools: AsyncResult.resolve and friends say to use Promise', () => {
    expect(() => AsyncResult.resolve(1)).toThrow(TypeError)
    expect(() => AsyncResult.resolve(1)).toThrow(/^AsyncResult takes no executor/)
  })

  it('takes null as no callback (Python\'s None); anything else that is not a function is a ConcTypeError', async () => {
    const seen = await reportedDuring(() => {
      new AsyncResult({ callback: null, errorCallback: null })._settle(true, 1)
      new AsyncResult({ callback: null, errorCallback: null })._settle(false, new Error('no'))
    })
    expect(seen).toEqual({ unhandled: [], uncaught: [] })
    expect(() => new AsyncResult({ callback: 5 as never })).toThrow(ConcTypeError)
    expect(() => new AsyncResult({ callback: 5 as never })).toThrow('callback must be a callable, got 5 (number)')
    expect(() => new AsyncResult({ errorCallback: 'log' as never })).toThrow("errorCallback must be a callable, got 'log' (string)")
  })

  it('a second outcome is ignored', async () => {
    const r = new AsyncResult<number>()
    r._settle(true, 1)
    r._settle(false, new Error('late'))
    r._settle(true, 2)
    expect(await r).toBe(1)
    expect(r.successful()).toBe(true)
  })
})
