/** The program's hold for a reply (executor/reply-hold.ts), with a clock of the test's own. */
import { describe, expect, it } from 'vitest'
import { ReplyHold, replyHold, replyHoldMs, type HoldClock } from '../src/executor/reply-hold.js'
import { watchUntil } from '../src/executor/idle-spin.js'

/** A clock whose watches report what the test says, and whose `later` queues until `run()`. */
function fakeClock(outcomes: boolean[]): HoldClock & { run(): void; scheduled: number; watches: [number, number][] } {
  const queue: (() => void)[] = []
  const clock = {
    scheduled: 0,
    watches: [] as [number, number][],
    now: () => 1000,
    later(fn: () => void) {
      clock.scheduled++
      queue.push(fn)
    },
    watch(_word: Int32Array, _index: number, value: number, from: number, until: number) {
      clock.watches.push([value, Math.round((until - from) * 1e6) / 1e6])
      return outcomes.shift() ?? false
    },
    run() {
      for (const fn of queue.splice(0)) fn()
    },
  }
  return clock
}

describe('ReplyHold', () => {
  it('holds once per turn, for a post after the count read before the newest call was sent, for its budget', () => {
    const word = new Int32Array(new SharedArrayBuffer(12))
    word[2] = 41
    const clock = fakeClock([true, true])
    const hold = new ReplyHold({ word, index: 2 }, 0.05, () => true, clock)
    // Read before the send: a reply posted between the send and arm() still counts as new.
    const before = hold.count()
    word[2] = 42
    hold.arm(before)
    // A second call sent before the hold ran: the hold waits for its reply.
    hold.arm(hold.count())
    expect(clock.scheduled).toBe(1)
    clock.run()
    expect(clock.watches).toEqual([[42, 0.05]])
    // Armed again after it ran.
    hold.arm(hold.count())
    expect(clock.scheduled).toBe(2)
  })

  it('does not hold when, by the time it runs, the call is no longer the pool\'s only work; that is no miss', () => {
    const word = new Int32Array(new SharedArrayBuffer(12))
    let alone = false
    const clock = fakeClock([true, true, true])
    const hold = new ReplyHold({ word, index: 2 }, 0.05, () => alone, clock)
    for (let i = 0; i < 4; i++) {
      hold.arm(hold.count())
      clock.run()
    }
    expect(clock.watches).toEqual([])
    alone = true
    // The skipped holds were not misses (no backoff): these three run.
    for (let i = 0; i < 3; i++) {
      hold.arm(hold.count())
      clock.run()
    }
    expect(clock.watches).toHaveLength(3)
  })

  it('watches the real word: a reply posted before the hold runs is caught at once', () => {
    const word = new Int32Array(new SharedArrayBuffer(12))
    const queue: (() => void)[] = []
    const hold = new ReplyHold({ word, index: 2 }, 50, () => true, { now: () => performance.now(), later: (fn) => void queue.push(fn), watch: watchUntil })
    const before = hold.count()
    Atomics.add(word, 2, 1)
    hold.arm(before)
    const t = performance.now()
    for (const fn of queue.splice(0)) fn()
    // Not the 50 ms budget: the post was already there.
    expect(performance.now() - t).toBeLessThan(25)
  })

  it('after two holds in a row run out, skips the next ones, twice as many each time; a hold that catches its reply ends that', () => {
    const word = new Int32Array(new SharedArrayBuffer(12))
    const clock = fakeClock([false, false, false, true, false])
    const hold = new ReplyHold({ word, index: 2 }, 0.05, () => true, clock)
    const armAndRun = (): boolean => {
      const before = clock.scheduled
      hold.arm(hold.count())
      clock.run()
      return clock.scheduled > before
    }
    // miss, miss (→ skip 1), skipped, miss (→ skip 2), skipped, skipped, caught, then holds go on.
    expect([armAndRun(), armAndRun(), armAndRun(), armAndRun(), armAndRun(), armAndRun(), armAndRun(), armAndRun(), armAndRun()]).toEqual([true, true, false, true, false, false, true, true, true])
  })

  it('is made only for a unit with a posted word, a budget above 0 and more than one CPU', () => {
    const posted = { word: new Int32Array(new SharedArrayBuffer(12)), index: 2 }
    const alone = (): boolean => true
    expect(replyHold(undefined, alone, 0.05, 2)).toBeUndefined()
    expect(replyHold(posted, alone, 0, 2)).toBeUndefined()
    expect(replyHold(posted, alone, 0.05, 1)).toBeUndefined()
    expect(replyHold(posted, alone, 0.05, 2)).toBeInstanceOf(ReplyHold)
  })

  it('takes its budget from CONC_REPLY_HOLD_US; unset, empty, 0 or not a number: none (off by default)', () => {
    expect(replyHoldMs({})).toBe(0)
    expect(replyHoldMs({ CONC_REPLY_HOLD_US: '50' })).toBe(0.05)
    expect(replyHoldMs({ CONC_REPLY_HOLD_US: '20' })).toBe(0.02)
    expect(replyHoldMs({ CONC_REPLY_HOLD_US: '0' })).toBe(0)
    expect(replyHoldMs({ CONC_REPLY_HOLD_US: 'off' })).toBe(0)
    expect(replyHoldMs({ CONC_REPLY_HOLD_US: '' })).toBe(0)
  })
})

describe('watchUntil', () => {
  it('returns true at once when the word has moved, false once the time is up when it has not', () => {
    const word = new Int32Array(new SharedArrayBuffer(4))
    word[0] = 5
    const t = performance.now()
    expect(watchUntil(word, 0, 4, t, t + 1000)).toBe(true)
    expect(performance.now() - t).toBeLessThan(100)
    const t2 = performance.now()
    expect(watchUntil(word, 0, 5, t2, t2 + 2)).toBe(false)
    expect(performance.now() - t2).toBeGreaterThanOrEqual(2)
  })
})
