/**
 * Spin, then sleep (src/executor/idle-spin.ts): a pool's worker process keeps its event loop
 * polling for a little while when it goes idle, but only when its tasks come back to back, and
 * never for longer than the budget, and turns it at most every TURN_EVERY_MS. Driven by a clock of
 * the test's own: the turns a spin schedules are counted and run by hand, and its waits between
 * turns move the clock; the last test runs the real wait.
 */
import { describe, expect, it } from 'vitest'
import { GCProfiler, getHeapSpaceStatistics } from 'node:v8'
import { IdleSpin, TURN_EVERY_MS, holdUntil, type SpinClock } from '../src/executor/idle-spin.js'
import { MAX_SKIPPED_SPINS, SpinBackoff } from '../src/executor/spin-backoff.js'

/**
 * Bytes this thread allocates in its young generation while `work` runs: what the collections
 * during it took out of the new space, plus what it holds at the end, minus what it held at the start.
 */
function youngBytes(work: () => void): number {
  const used = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_used_size ?? 0
  const newSpace = (stats: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] }) =>
    stats.heapSpaceStatistics.find((space) => space.spaceName === 'new_space')?.spaceUsedSize ?? 0
  const profiler = new GCProfiler()
  profiler.start()
  const start = used()
  work()
  const end = used()
  let bytes = end - start
  for (const entry of profiler.stop()?.statistics ?? []) bytes += newSpace(entry.beforeGC) - newSpace(entry.afterGC)
  return bytes
}

function harness(budgetMs = 0.1) {
  let now = 0
  let busy = false
  const turns: (() => void)[] = []
  /** The waits between turns, in ms. */
  const holds: number[] = []
  const clock: SpinClock = {
    now: () => now,
    later: (turn) => void turns.push(turn),
    hold(from, until) {
      holds.push(until - from)
      now = until
      return now
    },
  }
  const spin = new IdleSpin(budgetMs, () => busy, { clock })
  return {
    spin,
    turns,
    holds,
    now: () => now,
    at: (ms: number) => void (now = ms),
    setBusy: (value: boolean) => void (busy = value),
    /**
     * The worker goes idle now; a task sent alone comes at `ms` and runs at once; the worker goes
     * idle again: when `ms` is within the budget, a spin starts at `ms`.
     */
    spinFrom(ms: number): void {
      spin.idle()
      now = ms
      spin.arrived()
      spin.idle()
    },
    /** Runs the scheduled turns until none is left (the event loop turning), at most `max`. */
    runTurns(max = 1000): number {
      let n = 0
      while (turns.length > 0 && n < max) {
        turns.shift()!()
        n++
      }
      return n
    },
  }
}

describe('IdleSpin', () => {
  it('does not spin the first time a worker goes idle (nothing tells that its tasks come back to back)', () => {
    const h = harness()
    h.spin.idle()
    expect(h.spin.spinning).toBe(false)
    expect(h.turns).toHaveLength(0)
  })

  it('spins when the previous task came within the budget, and stops at the budget', () => {
    const h = harness(0.1)
    h.spin.idle()
    h.at(0.05)
    h.spin.arrived() // 50 µs after going idle: back to back
    h.at(0.06)
    h.spin.idle()
    expect(h.spin.spinning).toBe(true)
    expect(h.turns).toHaveLength(1)
    // Turns go on while the budget lasts...
    h.at(0.1)
    expect(h.runTurns(5)).toBe(5)
    expect(h.spin.spinning).toBe(true)
    // ...and end once it is spent: one last turn sees the time and schedules no other.
    h.at(0.161)
    h.runTurns()
    expect(h.turns).toHaveLength(0)
    expect(h.spin.spinning).toBe(false)
  })

  it('does not spin when tasks come further apart than the budget', () => {
    const h = harness(0.1)
    h.spin.idle()
    h.at(5)
    h.spin.arrived() // 5 ms after going idle
    h.at(5.01)
    h.spin.idle()
    expect(h.spin.spinning).toBe(false)
    expect(h.turns).toHaveLength(0)
  })

  it('stops at once when there is work, and spins again only after the next idle time', () => {
    const h = harness(0.1)
    h.spinFrom(0.01)
    expect(h.spin.spinning).toBe(true)
    // A task that goes on (an async one): the next turn sees the worker busy and stops.
    h.at(0.02)
    h.spin.arrived()
    h.setBusy(true)
    expect(h.runTurns()).toBe(1)
    expect(h.spin.spinning).toBe(false)
    // It ends 0.5 ms later: it came back to back (20 µs after the idle time) and was short, so
    // this idle time spins.
    h.at(0.5)
    h.setBusy(false)
    h.spin.idle()
    expect(h.spin.spinning).toBe(true)
    h.at(0.7)
    h.runTurns()
    expect(h.spin.spinning).toBe(false)
  })

  it('going idle again during a spin extends it, with one chain of turns', () => {
    const h = harness(0.1)
    h.spinFrom(0.01)
    expect(h.turns).toHaveLength(1)
    // A task comes and runs within the spin (a synchronous one): the worker is idle again.
    h.at(0.09)
    h.spin.arrived()
    h.spin.idle()
    expect(h.turns).toHaveLength(1)
    // The spin now lasts until 0.19, not 0.11.
    h.at(0.15)
    h.runTurns(3)
    expect(h.spin.spinning).toBe(true)
    h.at(0.2)
    h.runTurns()
    expect(h.spin.spinning).toBe(false)
    expect(h.turns).toHaveLength(0)
  })

  it('does not spin after long work, even when it came back to back (10 budgets or more since the task came)', () => {
    const h = harness(0.1)
    h.spin.idle()
    h.at(0.05)
    h.spin.arrived() // back to back
    h.at(1.05) // 1 ms of work: 10 budgets
    h.spin.idle()
    expect(h.spin.spinning).toBe(false)
    expect(h.turns).toHaveLength(0)
    // Short work again: it spins.
    h.at(1.06)
    h.spin.arrived()
    h.at(1.5)
    h.spin.idle()
    expect(h.spin.spinning).toBe(true)
  })

  it('does not spin after a task sent while the pool had others pending, until tasks come alone again', () => {
    const h = harness(0.1)
    h.spin.idle()
    h.at(0.01)
    h.spin.arrived(false) // back to back, but part of a burst
    h.spin.idle()
    expect(h.spin.spinning).toBe(false)
    h.at(0.02)
    h.spin.arrived(true)
    h.spin.arrived(false) // another batch while busy: the pool has more work
    h.spin.idle()
    expect(h.spin.spinning).toBe(false)
    h.at(0.03)
    h.spin.arrived(true)
    h.spin.idle()
    expect(h.spin.spinning).toBe(true)
  })

  it('a spin running when a task not sent alone comes and runs ends at its next turn', () => {
    const h = harness(0.1)
    h.spin.idle()
    h.at(0.01)
    h.spin.arrived(true)
    h.spin.idle()
    expect(h.spin.spinning).toBe(true)
    // A batch of a burst comes within the spin and runs at once (the turn has not run yet).
    h.at(0.02)
    h.spin.arrived(false)
    expect(h.spin.idle()).toBe(false)
    expect(h.spin.spinning).toBe(false)
    expect(h.runTurns()).toBe(1)
    expect(h.turns).toHaveLength(0)
  })

  it('a worker that stops spinning after a late task starts again once tasks come back to back', () => {
    const h = harness(0.1)
    h.spin.idle()
    h.at(1)
    h.spin.arrived() // late
    h.spin.idle()
    expect(h.spin.spinning).toBe(false)
    h.at(1.03)
    h.spin.arrived() // 30 µs: back to back
    h.spin.idle()
    expect(h.spin.spinning).toBe(true)
  })
  it('turns the event loop at most every TURN_EVERY_MS: a turn that comes sooner waits for the rest without yielding', () => {
    const h = harness(0.1)
    h.spinFrom(0.01) // the spin starts at 0.01
    // The first turn comes later than TURN_EVERY_MS after the spin started: no wait.
    h.at(0.01 + 2 * TURN_EVERY_MS)
    h.runTurns(1)
    expect(h.holds).toEqual([])
    expect(h.turns).toHaveLength(1)
    // The next comes at once (nothing else to run): it waits out the rest, then schedules the next.
    h.runTurns(1)
    expect(h.holds).toHaveLength(1)
    expect(h.holds[0]).toBeCloseTo(TURN_EVERY_MS, 9)
    expect(h.now()).toBeCloseTo(0.01 + 3 * TURN_EVERY_MS, 9)
    expect(h.turns).toHaveLength(1)
    // The rest of the budget, each turn coming at once: one turn per TURN_EVERY_MS, each after a
    // wait, until the next would be due after the budget's end.
    let ran = 0
    while (h.turns.length > 0 && h.holds.length === ran + 1) {
      h.runTurns(1)
      ran++
    }
    expect(ran).toBeGreaterThan(0.09 / TURN_EVERY_MS - 2)
    expect(ran).toBeLessThanOrEqual(0.1 / TURN_EVERY_MS)
    expect(h.now()).toBeLessThanOrEqual(0.11)
    h.at(0.11)
    h.runTurns()
    expect(h.spin.spinning).toBe(false)
  })

  it('does not wait past the end of its budget, nor when the worker has work', () => {
    const h = harness(0.1)
    h.spinFrom(0.01) // the spin lasts until 0.11
    h.at(0.11 - TURN_EVERY_MS / 2)
    h.runTurns(1) // due after the end of the budget: no wait, one more turn
    h.runTurns(1)
    expect(h.holds).toEqual([])
    h.at(0.11)
    h.runTurns()
    expect(h.spin.spinning).toBe(false)
    // Work came: the turn ends the spin without waiting. (The task at 0.12 came 110 µs after the
    // worker went idle: not back to back; the one after it is.)
    h.at(0.12)
    h.spin.arrived()
    h.spinFrom(0.13)
    expect(h.spin.spinning).toBe(true)
    h.setBusy(true)
    h.runTurns()
    expect(h.holds).toEqual([])
    expect(h.spin.spinning).toBe(false)
  })

  it('waits between turns for the time asked, reading the clock only about every microsecond', () => {
    const holds = 20_000
    let took = 0
    const bytes = youngBytes(() => {
      const start = performance.now()
      let now = start
      for (let i = 0; i < holds; i++) now = holdUntil(now, now + TURN_EVERY_MS)
      took = now - start
    })
    expect(took).toBeGreaterThanOrEqual(holds * TURN_EVERY_MS)
    // Generous: a loaded machine may stretch a wait, not by this much.
    expect(took).toBeLessThan(holds * TURN_EVERY_MS * 25)
    // Node 20's performance.now() allocates 32 bytes: a loop that read it on every read of the
    // word would allocate over 1 KiB a wait; a read every microsecond, about 100 bytes.
    expect(bytes / holds).toBeLessThan(400)
  })
})

describe('SpinBackoff (a worker thread whose spins the program does not answer)', () => {
  /** How many spins in a row `backoff` skips from now on (the first one not skipped ends the count). */
  const skipped = (backoff: SpinBackoff): number => {
    let n = 0
    while (backoff.skip()) n++
    return n
  }

  it('skips nothing while spins catch their message', () => {
    const backoff = new SpinBackoff()
    for (let i = 0; i < 10; i++) {
      expect(backoff.skip()).toBe(false)
      backoff.caught()
    }
  })

  it('skips nothing after a miss between spins that catch their message', () => {
    const backoff = new SpinBackoff()
    for (let i = 0; i < 10; i++) {
      backoff.missed()
      expect(backoff.skip()).toBe(false)
      backoff.caught()
      expect(backoff.skip()).toBe(false)
    }
  })

  it('skips one spin after a second miss, then twice as many after each further miss, up to the maximum', () => {
    const backoff = new SpinBackoff()
    const runs: number[] = []
    for (let i = 0; i < 13; i++) {
      backoff.missed()
      runs.push(skipped(backoff))
    }
    expect(runs).toEqual([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 256, 256, 256])
    expect(MAX_SKIPPED_SPINS).toBe(256)
  })

  it('a spin that catches its message ends the backoff: it takes two misses again to skip one', () => {
    const backoff = new SpinBackoff(16)
    for (let i = 0; i < 7; i++) {
      backoff.missed()
      skipped(backoff)
    }
    backoff.missed()
    expect(skipped(backoff)).toBe(16)
    backoff.caught()
    expect(backoff.skip()).toBe(false)
    backoff.missed()
    expect(skipped(backoff)).toBe(0)
    backoff.missed()
    expect(skipped(backoff)).toBe(1)
  })

  it('where every spin misses, one spin in MAX_SKIPPED_SPINS + 1 is tried once the backoff is at its maximum', () => {
    const backoff = new SpinBackoff()
    let tried = 0
    for (let i = 0; i < 20_000; i++) {
      if (backoff.skip()) continue
      tried++
      backoff.missed()
    }
    // Two misses, then tries after 1, 2, 4, ... 128 skips (8), then one every 257 idle times.
    const rampUp = 2 + 8
    const atMax = Math.floor((20_000 - (2 + 8 + 255)) / 257)
    expect(tried).toBeGreaterThanOrEqual(rampUp + atMax)
    expect(tried).toBeLessThanOrEqual(rampUp + atMax + 1)
  })
})
