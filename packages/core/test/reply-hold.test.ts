/** The program's hold for a reply (executor/reply-hold.ts), with a clock of the test's own. */
import { describe, expect, it } from 'vitest'
import { ReplyHold, replyHoldMs, type HoldClock } from '../src/executor/reply-hold.js'
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
  it('holds once per turn, from the posted count when it was armed, for its budget', () => {
    const word = new Int32Array(new SharedArrayBuffer(12))
    word[2] = 41
    const clock = fakeClock([true])
    const hold = new ReplyHold({ word, index: 2 }, 0.05, clock)
    hold.arm()
    word[2] = 42
    hold.arm()
    expect(clock.scheduled).toBe(1)
    clock.run()
    expect(clock.watches).toEqual([[41, 0.05]])
    // Armed again after it ran.
    hold.arm()
    expect(clock.scheduled).toBe(2)
  })

  it('after two holds in a row run out, skips the next ones, twice as many each time; a hold that catches its reply ends that', () => {
    const word = new Int32Array(new SharedArrayBuffer(12))
    const clock = fakeClock([false, false, false, true, false])
    const hold = new ReplyHold({ word, index: 2 }, 0.05, clock)
    const armAndRun = (): boolean => {
      const before = clock.scheduled
      hold.arm()
      clock.run()
      return clock.scheduled > before
    }
    // miss, miss (→ skip 1), skipped, miss (→ skip 2), skipped, skipped, caught, then holds go on.
    expect([armAndRun(), armAndRun(), armAndRun(), armAndRun(), armAndRun(), armAndRun(), armAndRun(), armAndRun(), armAndRun()]).toEqual([true, true, false, true, false, false, true, true, true])
  })

  it('takes its budget from CONC_REPLY_HOLD_US: 50 µs by default, 0 or not a number turns it off', () => {
    expect(replyHoldMs({})).toBe(0.05)
    expect(replyHoldMs({ CONC_REPLY_HOLD_US: '20' })).toBe(0.02)
    expect(replyHoldMs({ CONC_REPLY_HOLD_US: '0' })).toBe(0)
    expect(replyHoldMs({ CONC_REPLY_HOLD_US: 'off' })).toBe(0)
    expect(replyHoldMs({ CONC_REPLY_HOLD_US: '' })).toBe(0.05)
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
