/**
 * Worker hosts for the tests: `conc-worker` child processes (the package's built bin), with short
 * lock settings by default so that failures are detected in about a second.
 */
import { fileURLToPath } from 'node:url'
import { type Child, startChild } from './processes.js'

export const WORKER_BIN = fileURLToPath(new URL('../../dist/cli/worker.js', import.meta.url))
/** The application root of the tests: it holds the contract fixtures and this package's fixtures. */
export const TEST_APP = fileURLToPath(new URL('../../../', import.meta.url))
/** The backend the fixture modules import in the hosts' local workers (`CONC_BACKEND`). */
export const LOCAL_BACKEND = new URL('../../../multiprocessing/dist/index.js', import.meta.url).href

export interface HostOptions {
  /** `redis://...` */
  readonly connection: string
  readonly queue?: string
  readonly app?: string
  readonly concurrency?: number
  readonly backend?: 'processes' | 'threads'
  readonly maxTasksPerChild?: number
  /** Seconds; default 2 (tests), where `conc-worker` defaults to 5. `null` keeps the CLI default. */
  readonly lockDuration?: number | null
  /** Seconds; default 1 (tests), where `conc-worker` defaults to 2. `null` keeps the CLI default. */
  readonly stalledInterval?: number | null
  readonly maxStalled?: number
  readonly shutdownTimeout?: number
  readonly extraArgs?: readonly string[]
  readonly env?: NodeJS.ProcessEnv
  /** Run it through this command first (e.g. `['ip', 'netns', 'exec', 'ns']`). */
  readonly wrap?: readonly string[]
  /** The `node` binary (default: this one). */
  readonly node?: string
  /** Node's own options, before the script (e.g. `['--import', 'tsx']` to serve TypeScript modules). */
  readonly nodeArgs?: readonly string[]
}

/** The command-line arguments of a host. */
export function hostArgs(options: HostOptions): string[] {
  const args = ['--connection', options.connection, '--app', options.app ?? TEST_APP]
  const add = (flag: string, value: number | string | null | undefined): void => {
    if (value !== undefined && value !== null) args.push(flag, String(value))
  }
  add('--queue', options.queue)
  add('--concurrency', options.concurrency ?? 2)
  add('--backend', options.backend)
  add('--max-tasks-per-child', options.maxTasksPerChild)
  add('--lock-duration', options.lockDuration === undefined ? 2 : options.lockDuration)
  add('--stalled-interval', options.stalledInterval === undefined ? 1 : options.stalledInterval)
  add('--max-stalled', options.maxStalled)
  add('--shutdown-timeout', options.shutdownTimeout)
  args.push(...(options.extraArgs ?? []))
  return args
}

/** Starts a host and waits until it serves (its "serving queue" line). */
export async function startHost(options: HostOptions, name = 'conc-worker'): Promise<Child> {
  const child = startChild(name, options.node ?? process.execPath, [...(options.nodeArgs ?? []), WORKER_BIN, ...hostArgs(options)], {
    env: { CONC_BACKEND: LOCAL_BACKEND, NODE_OPTIONS: '', ...options.env },
    wrap: options.wrap,
  })
  try {
    await child.waitForLine(/serving queue/, 20_000)
  } catch (error) {
    child.kill('SIGKILL')
    await child.exited
    throw error
  }
  return child
}
