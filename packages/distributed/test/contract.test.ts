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

/** The contract's fixture programs make their pools with no options: they find the cluster here. */
const ENV = ['CONC_REDIS_URL', 'CONC_APP', 'CONC_QUEUE'] as const
const saved = ENV.map((name) => process.env[name])

describe.skipIf(skipped)('distributed', () => {
  beforeAll(async () => {
    // The hosts serve TypeScript fixtures too (pool-dispose.ts), as a host started under tsx does.
    // Their tasks run in threads: a task that ends its worker is replaced in milliseconds, where a
    // process under tsx takes seconds on a loaded machine (the processes backend is tested by the
    // other files).
    cluster = await Cluster.start({ hosts: 2, host: { concurrency: 1, backend: 'threads', nodeArgs: ['--import', 'tsx'] } })
    const { connection, app, queue } = cluster.clientOptions
    Object.assign(process.env, { CONC_REDIS_URL: connection, CONC_APP: app, CONC_QUEUE: queue })
  })
  afterAll(async () => {
    ENV.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name]
      else process.env[name] = saved[i]
    })
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
