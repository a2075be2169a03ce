/**
 * Spin, then sleep (src/executor/idle-spin.ts): a pool's worker process keeps its event loop
 * polling for a little while when it goes idle, but only when its tasks come back to back, and
 * never for longer than the budget. Driven by a clock of the test's own: the turns a spin
 * schedules are counted and run by hand.
 */
import { describe, expect, it } from 'vitest'
import { IdleSpin, type SpinClock } from '../src/executor/idle-spin.js'

function harness(budgetMs = 0.1) {
  let now = 0
  let busy = false
  const turns: (() => void)[] = []
  const clock: SpinClock = { now: () => now, later: (turn) => void turns.push(turn) }
  const spin = new IdleSpin(budgetMs, () => busy, { clock })
  return {
    spin,
    turns,
    at: (ms: number) => void (now = ms),
    setBusy: (value: boolean) => void (busy = value),
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
    h.spin.idle()
    h.at(0.01)
    h.spin.arrived()
    h.spin.idle()
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
    h.spin.idle()
    h.at(0.01)
    h.spin.arrived()
    h.spin.idle()
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
})
