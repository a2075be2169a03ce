import { describe, expect, it } from 'vitest'
import { BrokenBarrierError, Empty, Full, Lock, Queue, RuntimeError, SharedArray, Value, ValueError, isConcError } from '../src/index.js'
import { parseLockAcquire, parseQueue, parseSemaphoreAcquire, parseWait } from '../src/sync/internal/options.js'
import { QueueState } from '../src/sync/internal/queue-state.js'
import { LOCAL, Undoable } from '../src/sync/internal/shared.js'

describe('wait arguments, as Python checks them', () => {
  it('reads seconds, booleans and options; -1 and undefined wait forever for a lock', () => {
    expect(parseLockAcquire()).toEqual({ blocking: true, ms: undefined, signal: undefined })
    expect(parseLockAcquire(false)).toMatchObject({ blocking: false })
    expect(parseLockAcquire(true, 0.5)).toMatchObject({ ms: 500 })
    expect(parseLockAcquire({ timeout: -1 })).toMatchObject({ ms: undefined })
    expect(() => parseLockAcquire(false, 1)).toThrow(ValueError)
    expect(() => parseLockAcquire({ timeout: -2 })).toThrow('timeout value must be a non-negative number')
    expect(() => parseSemaphoreAcquire(false, 1)).toThrow("can't specify timeout for non-blocking acquire")
    expect(parseSemaphoreAcquire({ timeout: -3 })).toMatchObject({ ms: 0 })
    expect(parseWait(-5)).toMatchObject({ ms: 0 })
    expect(parseWait(null)).toMatchObject({ ms: undefined })
    expect(() => parseQueue(true, -1)).toThrow("'timeout' must be a non-negative number")
    expect(parseQueue(false, -1)).toMatchObject({ blocking: false, ms: 0 })
    expect(() => parseWait(Number.NaN)).toThrow(ValueError)
  })
})

describe('errors', () => {
  it('have Python names and stable codes', () => {
    expect(new Empty().code).toBe('ERR_CONC_EMPTY')
    expect(new Full().code).toBe('ERR_CONC_FULL')
    const broken = new BrokenBarrierError()
    expect(broken).toBeInstanceOf(RuntimeError)
    expect(broken.code).toBe('ERR_CONC_BROKEN_BARRIER')
    expect(broken.name).toBe('BrokenBarrierError')
    expect(isConcError(broken)).toBe(true)
  })
})

describe('queue state', () => {
  it('grows, compacts and keeps FIFO order over many records of mixed sizes', async () => {
    const state = QueueState.create(0)
    const big = 'x'.repeat(100_000)
    const expected: unknown[] = []
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) {
        const value = i % 10 === 0 ? { i, big } : { i }
        expected.push(value)
        await state.put(LOCAL, value, true, undefined)
      }
      for (let i = 0; i < 30; i++) expect(await state.get(LOCAL, false, 0)).toEqual(expected.shift())
    }
    while (expected.length > 0) expect(await state.get(LOCAL, false, 0)).toEqual(expected.shift())
    await expect(state.get(LOCAL, false, 0)).rejects.toBeInstanceOf(Empty)
  })

  it('puts an item handed to a dead receiver back at the front', async () => {
    const state = QueueState.create(0)
    for (const value of ['a', 'b', 'c']) await state.put(LOCAL, value, true, undefined)
    const handed = (await state.get({ ...LOCAL, remote: true }, true, undefined)) as Undoable
    expect(handed).toBeInstanceOf(Undoable)
    expect(handed.value).toBe('a')
    const second = (await state.get({ ...LOCAL, remote: true }, true, undefined)) as Undoable
    second.undo()
    handed.undo()
    expect(state.qsize(LOCAL)).toBe(3)
    expect([await state.get(LOCAL, false, 0), await state.get(LOCAL, false, 0), await state.get(LOCAL, false, 0)]).toEqual(['a', 'b', 'c'])
    // Also when the buffer was emptied meanwhile.
    const last = (await (await state.put(LOCAL, 'z', true, undefined), state.get({ ...LOCAL, remote: true }, true, undefined))) as Undoable
    last.undo()
    expect(await state.get(LOCAL, false, 0)).toBe('z')
  })

  it('a bounded queue raises Full without waiting, and after the timeout', async () => {
    const queue = new Queue<number>(1)
    await queue.put(1)
    await expect(queue.putNowait(2)).rejects.toBeInstanceOf(Full)
    const t0 = performance.now()
    await expect(queue.put(2, { timeout: 0.1 })).rejects.toBeInstanceOf(Full)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(80)
  })
})

describe('shared values', () => {
  it('store typed elements: integers wrap, 64-bit are bigint, c is a character', () => {
    const int8 = new Value('b', 0)
    int8.value = 200
    expect(int8.value).toBe(-56)
    const big = new Value('q', 5n)
    big.value = 2n ** 40n
    expect(big.value).toBe(2n ** 40n)
    const char = new Value('c', 'a')
    expect(char.value).toBe('a')
    const arr = new SharedArray('d', [0.5, 1.5])
    arr[1] = 2.25
    expect([...arr]).toEqual([0.5, 2.25])
    expect(() => arr.get(2)).toThrow(RangeError)
  })

  it('a Lock has the fast path and the slow path agree', async () => {
    const lock = new Lock()
    expect(await lock.acquire()).toBe(true)
    const waiting = lock.acquire({ timeout: 5 })
    await lock.release()
    expect(await waiting).toBe(true)
    expect(String(lock)).toBe('<locked Lock>')
  })
})
