/**
 * One cluster for a test file. `clusterSuite(options)`, called inside a `describe`, starts Redis
 * and the worker hosts before the file's tests, shuts down the executors the tests made after each
 * test (withdrawing what they left queued), and stops everything after the last one.
 */
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { ProcessPoolExecutor } from '../../dist/index.js'
import { Cluster } from './index.js'
import { type Tasks, loadTasks, scratch } from './tasks.js'

export interface ClusterSuite {
  /** The fixture tasks, ready to submit. */
  readonly t: Tasks
  readonly c: Cluster
  /** A Redis client of the test's own, to look into the queue. */
  readonly redis: Redis
  /** A scratch directory, removed at the end. */
  readonly files: ReturnType<typeof scratch>
  /** A client executor on the cluster's queue, shut down after the test. */
  executor(options?: Record<string, unknown>): ProcessPoolExecutor
  /** The queue's @conc jobs, each with the time it finished (null: not finished). Finished jobs stay `resultRetention` seconds. */
  jobs(): Promise<Map<string, string | null>>
}

export function clusterSuite(options: Parameters<typeof Cluster.start>[0]): ClusterSuite {
  let state: { readonly t: Tasks; readonly c: Cluster; readonly redis: Redis } | undefined
  const files = scratch()
  const open: ProcessPoolExecutor[] = []
  const get = (): NonNullable<typeof state> => {
    if (state === undefined) throw new Error('clusterSuite: used before its beforeAll ran')
    return state
  }
  beforeAll(async () => {
    const t = await loadTasks()
    const c = await Cluster.start(options)
    state = { t, c, redis: new Redis(c.connection) }
  })
  afterEach(async () => {
    for (const ex of open.splice(0)) await ex.shutdown({ wait: false, cancelFutures: true })
  })
  afterAll(async () => {
    state?.redis.disconnect()
    await state?.c.close()
    files.cleanup()
  })
  return {
    get t() {
      return get().t
    },
    get c() {
      return get().c
    },
    get redis() {
      return get().redis
    },
    files,
    executor(extra = {}) {
      const ex = new ProcessPoolExecutor({ ...get().c.clientOptions, ...extra })
      open.push(ex)
      return ex
    },
    async jobs() {
      const { redis, c } = get()
      const keys = (await redis.keys(`bull:${c.queue}:*`)).filter((k) => /:c[\w-]+\.\w+$/.test(k))
      const finished = await Promise.all(keys.map((k) => redis.hget(k, 'finishedOn')))
      return new Map(keys.map((k, i) => [k, finished[i] ?? null]))
    },
  }
}
