/**
 * With `CONC_IDLE_SPIN_US` set, a pool's worker process spins a little when it goes idle between
 * tasks that come back to back (core's src/executor/idle-spin.ts, unit-tested in core): its event
 * loop keeps polling instead of sleeping, so that the next task is not delayed by a wake-up. By
 * default it does not (bench/FINDINGS-pools.md, round 13: the spin lengthened the worst calls).
 * Here, in real worker processes: it spins only then, not by default, `CONC_IDLE_SPIN_US=0` (or a
 * value that is not a number) turns it off, and a spin ends after its budget (an idle worker does
 * not keep a CPU busy), its turns paced. A spin is seen as the `setImmediate` calls it makes.
 */
import { ProcessPoolExecutor, fromModule } from '@conc/multiprocessing'
import { setEnv } from '@conc/testkit'
import { afterEach, describe, expect, it } from 'vitest'

const fixture = new URL('./fixtures/idle-spin.mjs', import.meta.url).href
const tasks = (await import(fixture)) as Record<'countTurns' | 'turnsSoFar' | 'noop' | 'cpuMs' | 'resetTurns', () => number> & {
  turnGaps: () => { count: number; p10: number }
}
const countTurns = fromModule(tasks.countTurns, fixture, 'countTurns')
const turnsSoFar = fromModule(tasks.turnsSoFar, fixture, 'turnsSoFar')
const noop = fromModule(tasks.noop, fixture, 'noop')
const cpuMs = fromModule(tasks.cpuMs, fixture, 'cpuMs')
const resetTurns = fromModule(tasks.resetTurns, fixture, 'resetTurns')
const turnGaps = fromModule(tasks.turnGaps, fixture, 'turnGaps')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let pool: ProcessPoolExecutor | undefined

/** A pool of one worker started with `CONC_IDLE_SPIN_US` set to `us` (undefined: the default). */
async function poolWith(us: string | undefined): Promise<ProcessPoolExecutor> {
  const restore = setEnv('CONC_IDLE_SPIN_US', us)
  try {
    pool = new ProcessPoolExecutor({ maxWorkers: 1 })
    // The worker starts with the environment of now.
    await pool.submit(countTurns)
    return pool
  } finally {
    restore()
  }
}

afterEach(async () => {
  await pool?.shutdown()
  pool = undefined
})

describe('idle spin of worker processes', () => {
  it('spins between tasks that come back to back', async () => {
    // A budget of 20 ms: "back to back" even on a loaded machine.
    const ex = await poolWith('20000')
    const before = await ex.submit(turnsSoFar)
    for (let i = 0; i < 20; i++) await ex.submit(noop)
    expect((await ex.submit(turnsSoFar)) - before).toBeGreaterThan(0)
  })

  it.each([undefined, '0', 'off'])('does not spin when CONC_IDLE_SPIN_US is %s (unset: the default)', async (value) => {
    const ex = await poolWith(value)
    const before = await ex.submit(turnsSoFar)
    for (let i = 0; i < 20; i++) await ex.submit(noop)
    expect((await ex.submit(turnsSoFar)) - before).toBe(0)
  })

  it('does not spin when tasks come further apart than the budget', async () => {
    const ex = await poolWith('100')
    // Apart from the task that started the worker too: after it, the worker went idle without a
    // history; this one comes 20 ms later, so the worker does not spin after it.
    await sleep(20)
    const before = await ex.submit(turnsSoFar)
    for (let i = 0; i < 10; i++) {
      await sleep(20)
      await ex.submit(noop)
    }
    await sleep(20)
    expect((await ex.submit(turnsSoFar)) - before).toBe(0)
  })

  it('a spin turns the event loop at most every 2 µs (TURN_EVERY_MS), waiting between turns', async () => {
    // A budget of 200 ms: back to back, and thousands of turns, even when the machine is busy with
    // other test files (with 20 ms, a worker that got little CPU during its spin turned 54 times).
    const ex = await poolWith('200000')
    for (let i = 0; i < 20; i++) await ex.submit(noop)
    // The worker goes idle after this reply and spins for 200 ms, its turns about 1 µs apart
    // unpaced.
    await ex.submit(resetTurns)
    await sleep(400)
    const { count, p10 } = await ex.submit(turnGaps)
    expect(count).toBeGreaterThan(100)
    // Nine turns in ten come 2 µs or more after the one before.
    expect(p10).toBeGreaterThanOrEqual(0.002 * 0.9)
  })

  it('a spin ends after its budget: an idle worker does not keep a CPU busy', async () => {
    const ex = await poolWith('20000')
    for (let i = 0; i < 20; i++) await ex.submit(noop)
    // The worker goes idle after this reply and spins for 20 ms at most, then sleeps.
    const start = await ex.submit(cpuMs)
    await sleep(500)
    const spent = (await ex.submit(cpuMs)) - start
    // A spin that did not end would have used most of the 500 ms.
    expect(spent).toBeLessThan(150)
  })
})
