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

/** Blocks this thread (the program) for `ms`: it can neither take results nor send tasks meanwhile. */
function block(ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until);
}

it('before it starts an offered task, a worker runs the microtasks and timers the task before left', async () => {
  const ex = executor(1)
  await ex.submit(leaveWork, 0.01) // the pool learns that the function takes 10 ms
  const first = ex.submit(leaveWork, 0.1)
  const second = ex.submit(leaveWork, 0.1)
  await new Promise((resolve) => setTimeout(resolve, 20))
  block(300) // the second one can only be the offer, claimed by the worker on its own
  await first
  // The warm-up's and the first one's microtask and timer had run: 2 of each.
  expect(await second).toEqual([2, 2])
})

it('a worker with a timer running also goes from one offered task to the next on its own', async () => {
  const ex = executor(1)
  await ex.submit(intervalStamps, 0.05)
  const first = ex.submit(intervalStamps, 0.2)
  const second = ex.submit(intervalStamps, 0.2)
  await new Promise((resolve) => setTimeout(resolve, 20))
  block(400)
  const [, firstEnded] = await first
  const [secondStarted] = await second
  await ex.submit(stopInterval)
  // A turn of the worker's event loop in between, not the program's 0.2 s.
  expect(secondStarted - firstEnded).toBeLessThan(100)
})
