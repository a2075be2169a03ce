/**
 * Offers (core's executor/worker-pool.ts, `#offer`): a busy worker thread is offered its next
 * task of 1 ms or more, and runs it as soon as the one before ends, without a round trip to the
 * program; what a task leaves behind still runs between two offered tasks. What offers keep of
 * the pool's promises (cancel, the first free worker, crashes) is in the pool contract.
 */
import { ThreadPoolExecutor, fromModule } from '@conc/threading'
import { afterEach, expect, it } from 'vitest'
import * as fixtures from './fixtures/offer-targets.mjs'

const fixtureUrl = new URL('./fixtures/offer-targets.mjs', import.meta.url)
const spinStamps = fromModule(fixtures.spinStamps, fixtureUrl, 'spinStamps')
const leaveWork = fromModule(fixtures.leaveWork, fixtureUrl, 'leaveWork')
const intervalStamps = fromModule(fixtures.intervalStamps, fixtureUrl, 'intervalStamps')
const stopInterval = fromModule(fixtures.stopInterval, fixtureUrl, 'stopInterval')

const executors: ThreadPoolExecutor[] = []
afterEach(async () => {
  for (const ex of executors.splice(0)) await ex.shutdown({ cancelFutures: true })
})
const executor = (maxWorkers: number): ThreadPoolExecutor => {
  const ex = new ThreadPoolExecutor({ maxWorkers })
  executors.push(ex)
  return ex
}

it('a task of 1 ms or more offered to a busy worker starts when the one before ends, while the program is blocked', async () => {
  const ex = executor(1)
  await ex.submit(spinStamps, 0.05) // the pool learns that the function takes 50 ms
  const first = ex.submit(spinStamps, 0.2)
  const second = ex.submit(spinStamps, 0.2)
  await new Promise((resolve) => setTimeout(resolve, 20))
  // The program cannot take the first one's result before 0.4 s: the worker did not need it to.
  const until = Date.now() + 400
  while (Date.now() < until);
  const [, firstEnded] = await first
  const [secondStarted] = await second
  // Sent only when the program took the first one's result, it would have started ~0.2 s later.
  expect(secondStarted - firstEnded).toBeLessThan(100)
})

it('between two offered tasks, a worker runs the microtasks and timers the first one left', async () => {
  const ex = executor(1)
  await ex.submit(leaveWork, 0.01)
  const seen = await Promise.all(Array.from({ length: 8 }, () => ex.submit(leaveWork, 0.02)))
  // The first goes to the idle worker; each of the others, offered, found the microtask and the
  // timer of every task before it run (the warm-up's too: i + 1 of each).
  expect(seen.slice(1)).toEqual(Array.from({ length: 7 }, (_, i) => [i + 2, i + 2]))
})

it('a worker with a timer running still goes from one offered task to the next without waiting for the program', async () => {
  const ex = executor(1)
  await ex.submit(intervalStamps, 0.005)
  const stamps = await Promise.all(Array.from({ length: 100 }, () => ex.submit(intervalStamps, 0.002)))
  await ex.submit(stopInterval)
  const gaps = stamps.slice(1).map(([start], i) => start - (stamps[i] as [number, number])[1]).sort((x, y) => x - y)
  // A turn of the event loop between two tasks: tens of microseconds (a timer would take 1 ms).
  expect(gaps[gaps.length >> 1]).toBeLessThan(0.5)
})
