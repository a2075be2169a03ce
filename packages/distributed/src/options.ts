/**
 * The options the distributed executor and pool add to the local ones, their defaults, and their
 * checks (Python's error classes and messages, as the local options).
 */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConcTypeError, ValueError } from '@conc/core'
import type { RedisOptions } from 'ioredis'
import { DEFAULT_PAYLOAD_LIMIT } from './codec.js'
import { type Connection, describeConnection, redisOptions } from './connection.js'

/** The queue tasks go to when no `queue` is given; `conc-worker` serves it by default too. */
export const DEFAULT_QUEUE = 'conc-default'
/** BullMQ's key prefix. */
export const DEFAULT_PREFIX = 'bull'
/** Seconds Redis may stay unreachable before the pending tasks fail. */
export const DEFAULT_REDIS_TIMEOUT = 30
/** Tasks of one client in Redis at once (queued or running); more wait in the client. */
export const DEFAULT_MAX_IN_FLIGHT = 1000
/** Seconds a finished task's job (and its result) stays in Redis, so that a missed event can be read back. */
export const DEFAULT_RESULT_RETENTION = 300

/** Where and how tasks travel; taken by `Pool` and `ProcessPoolExecutor` of `@conc/distributed`. */
export interface DistributedOptions {
  /**
   * Where Redis is: a `redis://` or `rediss://` URL, a Unix socket path, or ioredis options.
   * Default: `CONC_REDIS_URL`, then `redis://127.0.0.1:6379`.
   */
  readonly connection?: Connection | undefined
  /** The queue the worker hosts serve (`conc-worker --queue`); default `CONC_QUEUE`, then `conc-default`. */
  readonly queue?: string | undefined
  /** BullMQ's key prefix; default `bull`. */
  readonly prefix?: string | undefined
  /**
   * The application root: the directory deployed on every host and given to
   * `conc-worker --app`. Functions must be exported from modules inside it. A path or a `file:`
   * URL; default `CONC_APP`, then the directory of the program's entry script.
   */
  readonly app?: string | URL | undefined
  /**
   * At most once: a task whose worker host was lost fails with `BrokenProcessPool` instead of
   * running again on another host. Default false (at least once).
   */
  readonly atMostOnce?: boolean | undefined
  /** Seconds Redis may stay unreachable before the pending tasks fail (default 30). */
  readonly redisTimeout?: number | undefined
  /** The largest encoded arguments of one task, in bytes (default 16 MiB). */
  readonly payloadLimit?: number | undefined
  /** Tasks of this client in Redis at once; the rest wait in this program (default 1000). */
  readonly maxInFlight?: number | undefined
  /**
   * Seconds a finished task's job, with its result, stays in Redis (default 300). BullMQ removes
   * it once older, as it finishes later jobs of the queue, at no extra cost per task. A client
   * that missed a result's event (Redis was unreachable, or the client was paused) reads the
   * result back from the job, so this must exceed `redisTimeout` and any pause you expect; a
   * longer time keeps more results in Redis's memory.
   */
  readonly resultRetention?: number | undefined
}

/** The options, checked, with their defaults. */
export interface Settings {
  readonly connection: RedisOptions & { url?: string }
  /** The connection as shown in messages (no password). */
  readonly shown: string
  readonly queue: string
  readonly prefix: string
  readonly app: string
  readonly atMostOnce: boolean
  readonly redisTimeoutMs: number
  readonly payloadLimit: number
  readonly maxInFlight: number
  readonly resultRetentionS: number
}

/** `value` when it is a number > 0 (an integer if `integer`), `fallback` when it is left out. */
export function positive(value: unknown, name: string, fallback: number, integer: boolean): number {
  return atLeast(value, name, fallback, integer, false)
}

/** `value` when it is a number >= 0 (an integer if `integer`), `fallback` when it is left out. */
export function nonNegative(value: unknown, name: string, fallback: number, integer: boolean): number {
  return atLeast(value, name, fallback, integer, true)
}

function atLeast(value: unknown, name: string, fallback: number, integer: boolean, zero: boolean): number {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'number') throw new ConcTypeError(`${name} must be a number, not '${String(value)}' (${typeof value})`)
  if (Number.isNaN(value) || value < 0 || (value === 0 && !zero) || (integer && !Number.isInteger(value))) {
    throw new ValueError(`${name} must be ${integer ? 'an integer ' : ''}${zero ? '>=' : '>'} 0, got ${value}`)
  }
  return value
}

function queueName(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new ConcTypeError(`${name} must be a string, not ${typeof value}`)
  if (value === '' || value.includes(':')) throw new ValueError(`${name} must be a non-empty name without ':', got '${value}'`)
  return value
}

/** The application root when none is given: `CONC_APP`, else the entry script's directory. */
export function defaultApp(): string {
  const fromEnv = process.env.CONC_APP
  if (fromEnv) return resolve(fromEnv)
  const entry = process.argv[1]
  return entry ? dirname(resolve(entry)) : process.cwd()
}

export function settings(options: DistributedOptions): Settings {
  const connection = redisOptions(options.connection)
  const app = options.app ?? defaultApp()
  if (typeof app !== 'string' && !(app instanceof URL)) throw new ConcTypeError(`app must be a path or a file: URL, not ${typeof app}`)
  return {
    connection,
    shown: describeConnection(connection),
    queue: queueName(options.queue ?? (process.env.CONC_QUEUE || DEFAULT_QUEUE), 'queue'),
    prefix: queueName(options.prefix ?? DEFAULT_PREFIX, 'prefix'),
    app: app instanceof URL || app.startsWith('file:') ? fileURLToPath(app) : resolve(app),
    atMostOnce: options.atMostOnce === true,
    redisTimeoutMs: positive(options.redisTimeout, 'redisTimeout', DEFAULT_REDIS_TIMEOUT, false) * 1000,
    payloadLimit: positive(options.payloadLimit, 'payloadLimit', DEFAULT_PAYLOAD_LIMIT, true),
    maxInFlight: positive(options.maxInFlight, 'maxInFlight', DEFAULT_MAX_IN_FLIGHT, true),
    resultRetentionS: positive(options.resultRetention, 'resultRetention', DEFAULT_RESULT_RETENTION, true),
  }
}
