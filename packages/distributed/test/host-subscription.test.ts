/**
 * A worker host hears cancels however fast it subscribes: ioredis sends SUBSCRIBE at once on a
 * connection still in its handshake, whose ready check then fails in subscriber mode, and the
 * connection comes back without the subscription (a host deaf to every cancel). Here Redis answers
 * the host 300 ms late (a far Redis, or a loaded machine), so the host subscribes within that
 * handshake.
 */
import { type Server, connect, createServer } from 'node:net'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CancelledError, ProcessPoolExecutor, ValueError, WorkerHost } from '../dist/index.js'
import { TEST_APP } from './harness/hosts.js'
import { RedisServer } from './harness/redis.js'
import { loadTasks, pidAlive, scratch, waitFor } from './harness/tasks.js'
import { skipped } from './setup/skip.js'

/** The connections a Redis server has now. */
async function clients(redis: Redis): Promise<number> {
  return ((await redis.client('LIST')) as string).split('\n').filter(Boolean).length
}

describe.skipIf(skipped)('the cancel channel of a worker host', () => {
  let server: RedisServer
  let proxy: Server
  let slow: string
  beforeAll(async () => {
    server = await RedisServer.start()
    await import('bullmq')
    // Forwards to Redis; its replies reach the host 300 ms late.
    proxy = createServer((host) => {
      const upstream = connect(server.port, server.bind)
      host.on('data', (data) => upstream.write(data))
      upstream.on('data', (data) => setTimeout(() => host.destroyed || host.write(data), 300))
      for (const end of [host, upstream]) end.on('error', () => undefined).on('close', () => (host.destroy(), upstream.destroy()))
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    slow = `redis://127.0.0.1:${(proxy.address() as { port: number }).port}`
  })
  afterAll(async () => {
    proxy?.close()
    await server?.close()
  })

  it('subscribes again when its connection comes back', async () => {
    const redis = new Redis(server.url)
    const queue = 'q-sub-again'
    const host = await WorkerHost.start({ connection: server.url, queue, concurrency: 1, log: () => undefined })
    try {
      const subscribers = async (): Promise<number> => ((await redis.pubsub('NUMSUB', `bull:${queue}:conc:cancel`)) as [string, number])[1]
      expect(await subscribers()).toBe(1)
      await redis.client('KILL', 'TYPE', 'pubsub')
      expect(await subscribers()).toBe(0)
      const deadline = Date.now() + 10_000
      while ((await subscribers()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(await subscribers()).toBe(1)
    } finally {
      await host.close({ now: true })
      redis.disconnect()
    }
  })

  it('reads the cancel markers when its connection comes back: a cancel it could not hear still stops the task', async () => {
    const t = await loadTasks()
    const files = scratch()
    const redis = new Redis(server.url)
    const queue = 'q-marker'
    const host = await WorkerHost.start({ connection: server.url, queue, app: TEST_APP, concurrency: 1, backend: 'processes', log: () => undefined })
    const ex = new ProcessPoolExecutor({ connection: server.url, queue, app: TEST_APP })
    try {
      const file = files.file('marker')
      const future = ex.submit(t.recordThenSleep, file, 60)
      expect(await waitFor(() => t.runs(file).length === 1)).toBe(true)
      const [pid] = t.runs(file)
      const [id] = await redis.lrange(`bull:${queue}:active`, 0, -1)
      // What a client leaves when it cannot withdraw a started job, with nobody to hear the
      // message: the marker only. Then the host's connection drops and comes back.
      await redis.set(`bull:${queue}:conc:cancel:${id}`, '1', 'PX', 60_000)
      await redis.client('KILL', 'TYPE', 'pubsub')
      expect(await waitFor(() => !pidAlive(pid as number), 10_000)).toBe(true)
      expect(await future.exception(10)).toBeInstanceOf(CancelledError)
    } finally {
      await ex.shutdown({ wait: false, cancelFutures: true })
      await host.close({ now: true })
      redis.disconnect()
      files.cleanup()
    }
  })

  it('does not start with options it refuses, and leaves no connection open', async () => {
    const redis = new Redis(server.url)
    try {
      const before = await clients(redis)
      // Refused by the local pool (concurrency), by BullMQ (stalledInterval, maxStalled: its Worker
      // opened its connections before it checked them), or by the host itself.
      for (const bad of [{ concurrency: 0 }, { stalledInterval: 0 }, { maxStalled: -1 }, { lockDuration: -1 }, { backend: 'fibers' as never }]) {
        await expect(WorkerHost.start({ connection: server.url, queue: 'q-bad', log: () => undefined, ...bad }), JSON.stringify(bad)).rejects.toBeInstanceOf(ValueError)
      }
      expect(await waitFor(() => false, 300)).toBe(false)
      expect(await clients(redis)).toBe(before)
    } finally {
      redis.disconnect()
    }
  })

  it('does not wait forever for a connection that cannot be made: a wrong password fails start(), and nothing is left connected', async () => {
    const guarded = await RedisServer.start()
    const admin = new Redis(guarded.url)
    try {
      await admin.config('SET', 'requirepass', 'right')
      const started = performance.now()
      await expect(WorkerHost.start({ connection: `redis://:wrong@127.0.0.1:${guarded.port}`, queue: 'q-auth', concurrency: 1, log: () => undefined })).rejects.toThrow(
        /WRONGPASS|invalid username-password/,
      )
      expect(performance.now() - started).toBeLessThan(10_000)
      // Nothing keeps trying: only this test's own connection is there a moment later.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      expect(await clients(admin)).toBe(1)
    } finally {
      admin.disconnect()
      await guarded.close()
    }
  })

  it('is subscribed once the host serves, and stays subscribed', async () => {
    const redis = new Redis(server.url)
    try {
      for (let i = 0; i < 3; i++) {
        const queue = `q-sub-${i}`
        const host = await WorkerHost.start({ connection: slow, queue, concurrency: 1, log: () => undefined })
        try {
          await new Promise((resolve) => setTimeout(resolve, 1500))
          const [, n] = (await redis.pubsub('NUMSUB', `bull:${queue}:conc:cancel`)) as [string, number]
          expect(n).toBe(1)
        } finally {
          await host.close({ now: true })
        }
      }
    } finally {
      redis.disconnect()
    }
  })
})
