/**
 * The distributed tests' harness: a Redis of their own and worker hosts as child processes, all
 * killed by pid at the end. Reusable by other suites (multi-host, benchmarks): start a
 * {@link Cluster}, or a {@link RedisServer} and hosts with {@link startHost}.
 */
import { randomBytes } from 'node:crypto'
import { type HostOptions, TEST_APP, startHost } from './hosts.js'
import type { Child } from './processes.js'
import { RedisServer, type RedisServerOptions } from './redis.js'

export { Child, killAll, startChild } from './processes.js'
export type { ExitInfo } from './processes.js'
export { RedisServer, REDIS_SERVER, freePort } from './redis.js'
export type { RedisServerOptions } from './redis.js'
export { LOCAL_BACKEND, TEST_APP, WORKER_BIN, hostArgs, startHost } from './hosts.js'
export type { HostOptions } from './hosts.js'

/** A queue name no other test uses. */
export function uniqueQueue(prefix = 'q'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`
}

/** Redis, a queue, and worker hosts serving it. */
export class Cluster {
  readonly hosts: Child[] = []

  private constructor(
    readonly redis: RedisServer,
    readonly queue: string,
    readonly hostDefaults: Omit<HostOptions, 'connection' | 'queue'>,
  ) {}

  /**
   * Starts Redis and `hosts` worker hosts (default 1) serving a new queue; `host` options apply
   * to each.
   */
  static async start(options: { readonly hosts?: number; readonly host?: Omit<HostOptions, 'connection' | 'queue'>; readonly redis?: RedisServerOptions } = {}): Promise<Cluster> {
    const redis = await RedisServer.start(options.redis)
    const cluster = new Cluster(redis, uniqueQueue(), options.host ?? {})
    try {
      await Promise.all(Array.from({ length: options.hosts ?? 1 }, () => cluster.addHost()))
    } catch (error) {
      await cluster.close()
      throw error
    }
    return cluster
  }

  get connection(): string {
    return this.redis.url
  }

  /** What a client passes to reach this cluster: `{ connection, queue, app }`. */
  get clientOptions(): { readonly connection: string; readonly queue: string; readonly app: string } {
    return { connection: this.connection, queue: this.queue, app: this.hostDefaults.app ?? TEST_APP }
  }

  /** Starts one more host, on the cluster's queue unless `queue` says another. */
  async addHost(options: Omit<HostOptions, 'connection'> = {}): Promise<Child> {
    const host = await startHost({ ...this.hostDefaults, ...options, connection: this.connection, queue: options.queue ?? this.queue }, `conc-worker #${this.hosts.length + 1}`)
    this.hosts.push(host)
    return host
  }

  /** Kills the hosts and Redis (SIGKILL: nothing is left running). */
  async close(): Promise<void> {
    for (const host of this.hosts) host.kill('SIGKILL')
    await Promise.all(this.hosts.map((host) => host.exited))
    await this.redis.close()
  }
}
