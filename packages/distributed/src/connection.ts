/**
 * Where Redis is: the `connection` option (a `redis://` URL, a Unix socket path, or ioredis
 * options), its default (`CONC_REDIS_URL`, then `redis://127.0.0.1:6379`), and how it is shown in
 * messages (without a password).
 */
import type { Redis, RedisOptions } from 'ioredis'
import { ConcTypeError } from '@conc/core'

/** Where Redis is when nothing says otherwise. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

/** A `redis://` / `rediss://` URL, a Unix socket (`/path/redis.sock`, `unix:///path`), or ioredis options. */
export type Connection = string | URL | RedisOptions

/** ioredis options for `connection`, with @conc's reconnection defaults. */
export function redisOptions(connection: Connection | undefined): RedisOptions & { url?: string } {
  const given = connection ?? process.env.CONC_REDIS_URL ?? DEFAULT_REDIS_URL
  // Reconnect quickly (a restarted Redis is back within seconds) but never give up: the
  // executor's own deadline (`redisTimeout`) decides when waiting is over.
  const base: RedisOptions = { retryStrategy: (times: number) => Math.min(250 * times, 2000) }
  if (given instanceof URL) return { ...base, url: given.href }
  if (typeof given === 'string') {
    if (given.startsWith('unix:')) return { ...base, path: decodeURIComponent(new URL(given).pathname) }
    if (given.startsWith('/')) return { ...base, path: given }
    if (!/^rediss?:\/\//.test(given)) {
      throw new ConcTypeError(`connection must be a redis:// or rediss:// URL, a Unix socket path or ioredis options, got '${given}'`)
    }
    return { ...base, url: given }
  }
  if (typeof given !== 'object' || given === null) {
    throw new ConcTypeError(`connection must be a redis:// URL, a Unix socket path or ioredis options, got ${typeof given}`)
  }
  return { ...base, ...given }
}

/** The connection as shown in messages: host and port or socket, never a password. */
export function describeConnection(options: RedisOptions & { url?: string }): string {
  if (options.url !== undefined) {
    try {
      const url = new URL(options.url)
      url.password = ''
      url.username = ''
      return url.href
    } catch {
      return 'redis (invalid URL)'
    }
  }
  if (options.path !== undefined) return `unix:${options.path}`
  return `redis://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`
}

/** A plain ioredis client for these options (ioredis is loaded on first use). */
export async function createRedis(options: RedisOptions & { url?: string }): Promise<Redis> {
  const { Redis } = await import('ioredis')
  const { url, ...rest } = options
  const client = url === undefined ? new Redis(rest) : new Redis(url, rest)
  // From the start: a connection error (a wrong password, Redis unreachable) reaches the caller
  // as its commands' rejections; without a listener ioredis also prints it as unhandled.
  client.on('error', () => undefined)
  return client
}
