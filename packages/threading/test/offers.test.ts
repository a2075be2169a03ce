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

/** Blocks this thread (the program) for `ms`: it can neither take results nor send tasks meanwhile. */
function block(ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until);
}

/**
 * On `ex` (one worker): `fn(warm)`, so that the pool learns what the function costs, then two
 * calls of `fn(seconds)`. The program blocks for `blockMs` while the first runs: the second can
 * only be the offer, claimed by the worker on its own. Both results.
 */
async function offeredPair<R>(ex: ThreadPoolExecutor, fn: (seconds: number) => R, warm: number, seconds: number, blockMs: number): Promise<[R, R]> {
  await ex.submit(fn, warm)
  const first = ex.submit(fn, seconds)
  const second = ex.submit(fn, seconds)
  await new Promise((resolve) => setTimeout(resolve, 20))
  block(blockMs)
  return [await first, await second]
}

it('a task of 1 ms or more offered to a busy worker starts when the one before ends, while the program is blocked', async () => {
  // The program cannot take the first one's result before 0.4 s: the worker did not need it to.
  const [[, firstEnded], [secondStarted]] = await offeredPair(executor(1), spinStamps, 0.05, 0.2, 400)
  // Sent only when the program took the first one's result, it would have started ~0.2 s later.
  expect(secondStarted - firstEnded).toBeLessThan(100)
})

it('before it starts an offered task, a worker runs the microtasks and timers the task before left', async () => {
  const [, second] = await offeredPair(executor(1), leaveWork, 0.01, 0.1, 300)
  // The warm-up's and the first one's microtask and timer had run: 2 of each.
  expect(second).toEqual([2, 2])
})

it('a worker with a timer running also goes from one offered task to the next on its own', async () => {
  const ex = executor(1)
  const [[, firstEnded], [secondStarted]] = await offeredPair(ex, intervalStamps, 0.05, 0.2, 400)
  await ex.submit(stopInterval)
  // A turn of the worker's event loop in between, not the program's 0.2 s.
  expect(secondStarted - firstEnded).toBeLessThan(100)
})
