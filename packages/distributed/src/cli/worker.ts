#!/usr/bin/env node
/**
 * `conc-worker`: a worker host, started once per machine with the application deployed.
 *
 *   npx conc-worker --connection redis://host:6379 --app ./dist --concurrency 4 --backend processes
 *
 * SIGTERM or SIGINT: stop taking tasks, let the running ones finish (--shutdown-timeout seconds),
 * then hand them back to the queue; a second signal hands them back at once.
 */
import { parseArgs } from 'node:util'
import { WorkerHost, type WorkerHostOptions } from '../index.js'

const USAGE = `usage: conc-worker [options]

Runs the @conc tasks of one queue, in a local pool of processes or threads.

  --connection URL         Redis: redis://[:password@]host:port[/db], rediss://..., or a Unix socket path
                           (default: $CONC_REDIS_URL, then redis://127.0.0.1:6379)
  --app DIR                the application root; tasks name modules inside it (default: .)
  --concurrency N          tasks at once, the local pool's size (default: the number of CPUs)
  --backend KIND           processes (default) or threads
  --max-tasks-per-child K  replace a local worker after K tasks
  --queue NAME             the queue to serve (default: $CONC_QUEUE, then conc-default)
  --prefix PREFIX          BullMQ's key prefix (default: bull)
  --lock-duration S        seconds a job's lock lasts without renewal (default: 5)
  --stalled-interval S     seconds between checks for jobs whose host was lost (default: 2)
  --max-stalled N          times a job may lose its host and run again (default: 1)
  --shutdown-timeout S     seconds running tasks get to finish on SIGTERM before they are
                           handed back to the queue (default: 30)
  --help                   this text
`

function fail(message: string): never {
  process.stderr.write(`conc-worker: ${message}\n\n${USAGE}`)
  process.exit(2)
}

function number(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) fail(`${flag} must be a ${integer ? 'positive integer' : 'positive number'}, got '${value}'`)
  return n
}

let values: Record<string, string | boolean | undefined>
try {
  ;({ values } = parseArgs({
    options: {
      connection: { type: 'string' },
      app: { type: 'string' },
      concurrency: { type: 'string' },
      backend: { type: 'string' },
      'max-tasks-per-child': { type: 'string' },
      queue: { type: 'string' },
      prefix: { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      'max-stalled': { type: 'string' },
      'shutdown-timeout': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  }))
} catch (error) {
  fail((error as Error).message)
}
if (values.help === true) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const backend = values.backend as string | undefined
if (backend !== undefined && backend !== 'processes' && backend !== 'threads') fail(`--backend must be processes or threads, got '${backend}'`)
const maxStalled = values['max-stalled'] === '0' ? 0 : number(values['max-stalled'] as string | undefined, '--max-stalled', true)

const options: WorkerHostOptions = {
  connection: values.connection as string | undefined,
  app: values.app as string | undefined,
  concurrency: number(values.concurrency as string | undefined, '--concurrency', true),
  backend,
  maxTasksPerChild: number(values['max-tasks-per-child'] as string | undefined, '--max-tasks-per-child', true),
  queue: values.queue as string | undefined,
  prefix: values.prefix as string | undefined,
  lockDuration: number(values['lock-duration'] as string | undefined, '--lock-duration', false),
  stalledInterval: number(values['stalled-interval'] as string | undefined, '--stalled-interval', false),
  maxStalled,
  shutdownTimeout: number(values['shutdown-timeout'] as string | undefined, '--shutdown-timeout', false),
  log: (line) => process.stdout.write(`${line}\n`),
}

// The handlers come first: the host says 'serving' before start() returns, and a SIGTERM sent on
// that line must stop it gracefully, not kill it.
let host: WorkerHost | undefined
let signals = 0
let early: NodeJS.Signals | undefined
const stop = (signal: NodeJS.Signals): void => {
  if (host === undefined) {
    // Still starting: stop gracefully once started, or at once if starting takes longer
    // (Redis unreachable: nothing was taken yet).
    early ??= signal
    setTimeout(() => {
      if (host !== undefined) return
      process.stdout.write(`conc-worker: ${signal} before it started serving\n`)
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15))
    }, 1000).unref()
    return
  }
  if (++signals > 1) {
    process.stdout.write(`conc-worker: ${signal} again: handing the running tasks back now\n`)
    void host.close({ now: true })
    return
  }
  process.stdout.write(`conc-worker: ${signal}\n`)
  void host.close().then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

try {
  host = await WorkerHost.start(options)
} catch (error) {
  process.stderr.write(`conc-worker: cannot start: ${(error as Error)?.message ?? String(error)}\n`)
  process.exit(1)
}
if (early !== undefined) stop(early)
