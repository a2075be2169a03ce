/**
 * The pool and executor contract of the local backends, run on the distributed ones: two worker
 * hosts of one process each (the suite's executors and pools have 2 workers), on a Redis of the
 * test's own. What does not apply across machines is listed in the README ("What differs").
 */
import { definePoolContract } from '@conc/testkit'
import { afterAll, beforeAll, describe } from 'vitest'
import * as distributed from '../dist/index.js'
import { Cluster } from './harness/index.js'
import { skipped } from './setup/skip.js'

let cluster: Cluster | undefined
const where = (): Record<string, unknown> => {
  if (cluster === undefined) throw new Error('the cluster did not start')
  return cluster.clientOptions
}

class ProcessPoolExecutor extends distributed.ProcessPoolExecutor {
  constructor(options: distributed.DistributedExecutorOptions = {}) {
    super({ ...where(), redisTimeout: 20, ...options })
  }
}

class Pool extends distributed.Pool {
  constructor(options: distributed.DistributedPoolOptions = {}) {
    super({ ...where(), redisTimeout: 20, ...options })
  }
}

describe.skipIf(skipped)('distributed', () => {
  beforeAll(async () => {
    cluster = await Cluster.start({ hosts: 2, host: { concurrency: 1 } })
  })
  afterAll(async () => {
    await cluster?.close()
  })

  definePoolContract({
    kind: 'process',
    backendUrl: new URL('../dist/index.js', import.meta.url).href,
    Executor: ProcessPoolExecutor,
    Pool,
    Broken: distributed.BrokenProcessPool,
    localWorkers: false,
    lib: distributed,
  })
})
