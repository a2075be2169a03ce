/**
 * The program's hold for a reply (core's executor/reply-hold.ts): after it sends a short call
 * alone to a worker thread, the program watches for the reply for a few tens of microseconds
 * before its event loop sleeps. The watch must stay that short whatever the call does, and the
 * results must be those of the calls.
 */
import { ThreadPoolExecutor, ThreadPool, fromModule } from '@conc/threading'
import { describe, expect, it } from 'vitest'
import * as fixtures from './fixtures/hold-targets.mjs'

const fixtureUrl = new URL('./fixtures/hold-targets.mjs', import.meta.url)
const targets = Object.fromEntries(Object.entries(fixtures).map(([name, fn]) => [name, fromModule(fn, fixtureUrl, name)])) as unknown as typeof fixtures

/** Runs `act` while an interval of 1 ms records the longest gap between its runs, in ms. */
async function longestGap<T>(act: () => Promise<T>): Promise<[T, number]> {
  let last = performance.now()
  let longest = 0
  const timer = setInterval(() => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
  }, 1)
  try {
    const value = await act()
    return [value, longest]
  } finally {
    clearInterval(timer)
  }
}

/** Runs `act` with `CONC_REPLY_HOLD_US` set to `us` for the workers it starts (the hold is opt-in). */
async function withHold<T>(us: string, act: () => Promise<T>): Promise<T> {
  const before = process.env.CONC_REPLY_HOLD_US
  process.env.CONC_REPLY_HOLD_US = us
  try {
    return await act()
  } finally {
    if (before === undefined) delete process.env.CONC_REPLY_HOLD_US
    else process.env.CONC_REPLY_HOLD_US = before
  }
}

/** Runs `act` with a new executor of `maxWorkers` workers, shut down after. */
async function withExecutor<T>(maxWorkers: number, act: (ex: ThreadPoolExecutor) => Promise<T>): Promise<T> {
  const ex = new ThreadPoolExecutor({ maxWorkers })
  try {
    return await act(ex)
  } finally {
    await ex.shutdown()
  }
}

describe('the hold for a reply (threads, CONC_REPLY_HOLD_US)', () => {
  it('one short call at a time gives every result; a call that suddenly runs long does not hold up the event loop', () => withHold('50', () => withExecutor(1, async (ex) => {
    // Measured short: the program holds for these replies.
    for (let i = 0; i < 200; i++) expect(await ex.submit(targets.incAfter, i, 0)).toBe(i + 1)
    // The same function, 300 ms this time: the hold gives up after its budget (50 µs), and
    // timers go on while the worker runs (a hold that waited for the reply would stop them
    // for 300 ms).
    const [value, gap] = await longestGap(() => ex.submit(targets.incAfter, 7, 300))
    expect(value).toBe(8)
    expect(gap).toBeLessThan(150)
    for (let i = 0; i < 50; i++) expect(await ex.submit(targets.incAfter, i, 0)).toBe(i + 1)
  })))

  it('async calls, and calls not alone, give their results in a pool and an executor alike', () => withHold('50', async () => {
    const pool = new ThreadPool({ processes: 2 })
    const ex = new ThreadPoolExecutor({ maxWorkers: 2 })
    try {
      for (let i = 0; i < 100; i++) expect(await ex.submit(targets.incLater, i)).toBe(i + 1)
      for (let i = 0; i < 100; i++) expect(await pool.apply(targets.incAfter, [i, 0])).toBe(i + 1)
      const values = await Promise.all(Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? ex.submit(targets.incAfter, i, 0) : pool.apply(targets.incAfter, [i, 0]))))
      expect(values).toEqual(Array.from({ length: 500 }, (_, i) => i + 1))
    } finally {
      pool.terminate()
      await Promise.all([ex.shutdown(), pool.join()])
    }
  }))

  describe('with a budget long enough to see (CONC_REPLY_HOLD_US = 2 s, read when a worker starts)', () => {
    const withLongHold = <T>(act: () => Promise<T>): Promise<T> => withHold('2000000', act)

    it('a short synchronous call sent alone is held for until the worker posts its reply, and no longer', () => withLongHold(() => withExecutor(1, async (ex) => {
      for (let i = 0; i < 50; i++) expect(await ex.submit(targets.incAfter, i, 0)).toBe(i + 1)
      // Held: the event loop stops until the 300 ms call's reply is posted.
      const [value, gap] = await longestGap(() => ex.submit(targets.incAfter, 1, 300))
      expect(value).toBe(2)
      expect(gap).toBeGreaterThan(200)
      // Each hold ends at the worker's post, not at the budget: 100 trivial calls take far less than 2 s each.
      const t = performance.now()
      for (let i = 0; i < 100; i++) expect(await ex.submit(targets.incAfter, i, 0)).toBe(i + 1)
      expect(performance.now() - t).toBeLessThan(2000)
    })))

    it('not held: a function that awaits, one measured at a few ms, and a call that is no longer alone when the hold would run', () => withLongHold(() => withExecutor(2, async (ex) => {
      for (let i = 0; i < 20; i++) expect(await ex.submit(targets.incAfterAsync, i, 0)).toBe(i + 1)
      let [value, gap] = await longestGap(() => ex.submit(targets.incAfterAsync, 1, 300))
      expect(value).toBe(2)
      expect(gap).toBeLessThan(150)
      for (let i = 0; i < 50; i++) expect(await ex.submit(targets.incAfter, i, 0)).toBe(i + 1)
      // A function measured at a few ms is not held for either.
      await withExecutor(1, async (ex2) => {
        for (let i = 0; i < 10; i++) expect(await ex2.submit(targets.incAfter, i, 5)).toBe(i + 1)
        ;[value, gap] = await longestGap(() => ex2.submit(targets.incAfter, 1, 300))
        expect(value).toBe(2)
        expect(gap).toBeLessThan(150)
      })
      // The first goes out alone, but a second is submitted before the hold runs.
      ;[value, gap] = await longestGap(async () => (await Promise.all([ex.submit(targets.incAfter, 1, 300), ex.submit(targets.incAfter, 2, 300)]))[1] as number)
      expect(value).toBe(3)
      expect(gap).toBeLessThan(150)
    })))
  })
})
