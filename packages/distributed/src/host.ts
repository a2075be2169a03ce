/**
 * A worker host (`conc-worker`): a BullMQ `Worker` that takes @conc jobs from one queue and runs
 * each in a local @conc pool (processes or threads), never on its own event loop, so that lock
 * renewal never stalls behind user code and a task can be stopped by ending its local unit.
 *
 * It prints what it serves and one line per failure, stops a task when its client cancels it
 * (a message on the cancel channel, or a marker read when the job starts), refuses jobs that are
 * not @conc's, and on `close()` lets running tasks finish for a grace period, then hands them
 * back to the queue for another host.
 */
import { availableParallelism, hostname } from 'node:os'
import { existsSync, realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { BrokenExecutor, BrokenProcessPool, TimeoutError, ValueError, type BasePool, fromModule } from '@conc/core'
import { Pool as ProcessPool } from '@conc/multiprocessing'
import { ThreadPool } from '@conc/threading'
import type { ConnectionOptions, Job, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { DEFAULT_PAYLOAD_LIMIT } from './codec.js'
import { serializeForClient } from './error-refs.js'
import { type Connection, createRedis, describeConnection, redisOptions } from './connection.js'
import { keys, type Keys } from './keys.js'
import { DEFAULT_PREFIX, DEFAULT_QUEUE, nonNegative, positive } from './options.js'
import type { HostInfo, runJob, runPack } from './task-runner.js'
import { type Envelope, FAILED, type JobData, type JobResult, decodeValue, encodeValue, parseJobData } from './wire.js'

/** Seconds a job's lock lasts without renewal: a host lost for longer loses its jobs. */
export const DEFAULT_LOCK_DURATION = 5
/** Seconds between two checks for jobs whose host was lost. */
export const DEFAULT_STALLED_INTERVAL = 2
/** Times a job may lose its host and run again before it fails. */
export const DEFAULT_MAX_STALLED = 1
/** Seconds running tasks get to finish on shutdown before they are handed back. */
export const DEFAULT_SHUTDOWN_TIMEOUT = 30

/** Options of {@link WorkerHost.start} (and of `conc-worker`, whose flags have the same names). */
export interface WorkerHostOptions {
  /** Where Redis is; default `CONC_REDIS_URL`, then `redis://127.0.0.1:6379`. */
  readonly connection?: Connection | undefined
  /** The queue to serve; default `CONC_QUEUE`, then `conc-default`. */
  readonly queue?: string | undefined
  /** BullMQ's key prefix; default `bull`. */
  readonly prefix?: string | undefined
  /** The application root: tasks name modules inside it, and nothing outside is imported. Default: the working directory. */
  readonly app?: string | undefined
  /** Tasks run at once (the local pool's size); default: the number of CPUs. */
  readonly concurrency?: number | undefined
  /** Where tasks run on this host: child processes (default) or worker threads. */
  readonly backend?: 'processes' | 'threads' | undefined
  /** A local worker is replaced after this many tasks. */
  readonly maxTasksPerChild?: number | undefined
  /** Seconds a job's lock lasts without renewal (default 5). */
  readonly lockDuration?: number | undefined
  /** Seconds between checks for jobs whose host was lost (default 2). */
  readonly stalledInterval?: number | undefined
  /** Times a job may lose its host and run again before it fails (default 1). */
  readonly maxStalled?: number | undefined
  /** Seconds running tasks get to finish when the host stops, before they are handed back (default 30). */
  readonly shutdownTimeout?: number | undefined
  /** The largest encoded result, in bytes (default 16 MiB). */
  readonly payloadLimit?: number | undefined
  /** Where the host's lines go; default: standard error. */
  readonly log?: ((line: string) => void) | undefined
}

/**
 * Milliseconds a job runs before its host reads its cancel marker: a task shorter than that is
 * not worth a Redis command (its client has settled its future already if it cancelled it).
 */
const MARKER_DELAY_MS = 10

/** Why a running task's local unit is being ended. */
const CANCEL = { why: 'cancelled by its client' }
const HANDBACK = { why: 'handed back' }
const LOST = { why: 'lock lost' }

interface Running {
  readonly job: Job
  readonly controller: AbortController
}

/** What {@link WorkerHost.start} loads before the host is made. */
interface Loaded {
  readonly bullmq: typeof import('bullmq')
  readonly runner: { readonly runJob: typeof runJob; readonly runPack: typeof runPack }
  readonly commands: Redis
  readonly subscriber: Redis
}

const RUNNER = new URL('./task-runner.js', import.meta.url).href

/**
 * A worker host. Start it with {@link WorkerHost.start}; stop it with {@link WorkerHost.close}.
 *
 * @example
 * ```ts
 * const host = await WorkerHost.start({ connection: 'redis://127.0.0.1:6379', app: './dist', concurrency: 4 })
 * process.once('SIGTERM', () => void host.close())
 * ```
 */
export class WorkerHost {
  readonly #worker: Worker
  readonly #pool: BasePool
  readonly #commands: Redis
  readonly #subscriber: Redis
  readonly #keys: Keys
  readonly #running = new Map<string, Running>()
  /** Jobs just started whose cancel markers are to be read. */
  readonly #toCheck: string[] = []
  readonly #info: HostInfo
  readonly #log: (line: string) => void
  readonly #shutdownMs: number
  readonly #runJob: typeof runJob
  readonly #runPack: typeof runPack
  readonly #bullmq: typeof import('bullmq')
  #closing: Promise<void> | undefined
  /** What the host serves, as printed at start. */
  readonly description: string

  private constructor(options: WorkerHostOptions, loaded: Loaded) {
    const { bullmq, runner } = loaded
    this.#bullmq = bullmq
    const connection = redisOptions(options.connection)
    const queue = options.queue ?? (process.env.CONC_QUEUE || DEFAULT_QUEUE)
    const prefix = options.prefix ?? DEFAULT_PREFIX
    const app = resolve(options.app ?? '.')
    // Modules are loaded by their real paths: the root is compared with them that way too.
    const root = existsSync(app) ? realpathSync(app) : app
    const concurrency = options.concurrency ?? (availableParallelism() || 1)
    const backend = options.backend ?? 'processes'
    const lock = options.lockDuration ?? DEFAULT_LOCK_DURATION
    const stalled = options.stalledInterval ?? DEFAULT_STALLED_INTERVAL
    const maxStalled = options.maxStalled ?? DEFAULT_MAX_STALLED
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`))
    this.#shutdownMs = (options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT) * 1000
    this.#keys = keys(prefix, queue)
    this.#info = { root, limit: options.payloadLimit ?? DEFAULT_PAYLOAD_LIMIT, label: `worker host ${hostname()} (pid ${process.pid})` }
    this.#runJob = fromModule(runner.runJob, RUNNER, 'runJob')
    this.#runPack = fromModule(runner.runPack, RUNNER, 'runPack')
    const poolOptions = { processes: concurrency, maxTasksPerChild: options.maxTasksPerChild }
    this.#pool = backend === 'threads' ? new ThreadPool(poolOptions) : new ProcessPool(poolOptions)
    // createRedis made them with an error listener: their errors reach their commands' callers.
    this.#commands = loaded.commands
    this.#subscriber = loaded.subscriber
    try {
      // Two parameters: BullMQ makes an abort signal per job only for a processor that takes a
      // third, and aborts it only from Worker.cancelJob(), which conc never calls (a lost lock
      // comes as 'lockRenewalFailed', below).
      this.#worker = new bullmq.Worker(queue, (job, token) => this.#process(job, token), {
        connection: { ...connection } as ConnectionOptions,
        prefix,
        concurrency,
        lockDuration: lock * 1000,
        stalledInterval: stalled * 1000,
        maxStalledCount: maxStalled,
        autorun: false,
      })
    } catch (error) {
      // Options BullMQ refuses: the local pool made above must not keep the process alive.
      this.#pool.terminate()
      throw error
    }
    this.#worker.on('error', (error) => this.#onError(error))
    this.#worker.on('lockRenewalFailed', (ids) => this.#onLockLost(ids))
    this.#worker.on('stalled', (id) => this.#log(`conc-worker: job ${id} lost its host; it is back in the queue`))
    const tasks = options.maxTasksPerChild === undefined ? '' : `, a new one every ${options.maxTasksPerChild} tasks`
    this.description =
      `conc-worker: serving queue '${queue}' at ${describeConnection(connection)} for ${app}: ${concurrency} ` +
      `${backend === 'threads' ? 'threads' : 'processes'}${tasks}; lock ${lock} s, lost hosts checked every ${stalled} s, ` +
      `a task runs again at most ${maxStalled} time(s); pid ${process.pid}`
  }

  /** Starts a host: connects, subscribes to the cancel channel, and takes jobs. */
  static async start(options: WorkerHostOptions = {}): Promise<WorkerHost> {
    checkOptions(options)
    const connection = redisOptions(options.connection)
    const [runner, bullmq] = await Promise.all([import(RUNNER) as Promise<{ runJob?: typeof runJob; runPack?: typeof runPack }>, import('bullmq')])
    // After the imports: a failed import leaves no connection behind.
    const [commands, subscriber] = await Promise.all([createRedis(connection), createRedis(connection)])
    let host: WorkerHost | undefined
    try {
      const job = runner.runJob
      const pack = runner.runPack
      if (typeof job !== 'function' || typeof pack !== 'function') throw new Error(`conc-worker: ${RUNNER} does not export runJob and runPack (a broken install?)`)
      host = new WorkerHost(options, { bullmq, runner: { runJob: job, runPack: pack }, commands, subscriber })
      await host.#startServing()
      return host
    } catch (error) {
      // Nothing was taken from the queue (bad options, a wrong password, Redis unreachable past
      // its retries): drop what was made, so that nothing keeps trying or keeps the process alive.
      subscriber.disconnect()
      commands.disconnect()
      if (host !== undefined) {
        void host.#worker.close(true).catch(() => undefined)
        host.#pool.terminate()
      }
      throw error
    }
  }

  async #startServing(): Promise<void> {
    // Subscribe once the connection is ready, not before: ioredis sends SUBSCRIBE at once on a
    // connection still in its handshake, whose ready check then fails in subscriber mode, and it
    // connects again without the subscription (it restores only a ready connection's): a host
    // that would never hear a cancel (a far Redis, or a loaded machine, makes that likely). A
    // PING waits for ready, and fails as any command does (a wrong password, Redis unreachable
    // past its retries), so that start() still rejects instead of waiting forever.
    await this.#subscriber.ping()
    this.#subscriber.on('ready', () => {
      // Connected again. ioredis subscribes again by itself; asking again costs nothing and does
      // not depend on how it got here. Cancels published while this host could not hear them left
      // their markers.
      this.#subscriber.subscribe(this.#keys.cancelChannel).catch(() => undefined)
      void this.#checkMarkers()
    })
    this.#subscriber.on('message', (_channel: string, id: string) => this.#cancel(id))
    await this.#subscriber.subscribe(this.#keys.cancelChannel)
    await this.#worker.waitUntilReady()
    void this.#worker.run().catch((error: unknown) => this.#onError(error))
    this.#log(this.description)
  }

  /** The jobs running now. */
  get running(): number {
    return this.#running.size
  }

  async #process(job: Job, token: string | undefined): Promise<JobResult> {
    const id = job.id as string
    const parsed = parseJobData(job.data)
    if (typeof parsed === 'string') {
      this.#log(`conc-worker: job ${id} (${job.name}) is not a @conc task, failed: ${parsed}`)
      throw new this.#bullmq.UnrecoverableError(`${FAILED.malformed}: ${parsed}`)
    }
    const data: JobData = parsed
    const what = `${data.q === undefined ? 'task' : `pack of ${data.q.length} tasks`} ${id} ${data.p}#${data.x}`
    if (data.o === 1 && job.stalledCounter > 0) {
      this.#log(`conc-worker: ${what} lost its host before; at most once, so it fails instead of running again`)
      throw new this.#bullmq.UnrecoverableError(FAILED.lost)
    }
    const controller = new AbortController()
    this.#running.set(id, { job, controller })
    try {
      // A client that could not withdraw the job (a host had just taken it) left a marker: read it
      // once the task has run MARKER_DELAY_MS, not before, so that a short task's round trip
      // carries no extra Redis command; a marked task is stopped as a running one is (cancels are
      // best effort once a host holds the job, see the README).
      this.#checkMarker(id)
      if (data.q !== undefined) return await this.#runPackOf(data, id, controller.signal)
      const timeout = data.t === undefined ? undefined : data.t / 1000
      const envelope = (await this.#pool.applyAsync(this.#runJob, [this.#info, data], { signal: controller.signal, timeout })) as Envelope
      if ('err' in envelope) this.#log(`conc-worker: ${what} raised ${describeFailure(envelope)}`)
      return envelope
    } catch (error) {
      const { UnrecoverableError, WaitingError } = this.#bullmq
      const reason = controller.signal.aborted ? controller.signal.reason : undefined
      if (reason === HANDBACK) {
        this.#log(`conc-worker: ${what} handed back to the queue (shutting down)`)
        await job.moveToWait(token)
        throw new WaitingError()
      }
      if (reason === CANCEL) {
        this.#log(`conc-worker: ${what} cancelled by its client`)
        throw new UnrecoverableError(FAILED.cancelled)
      }
      if (reason === LOST) throw new UnrecoverableError(`${FAILED.lost}: this host lost the job's lock`)
      if (error instanceof TimeoutError) {
        this.#log(`conc-worker: ${what} timed out after ${(data.t as number) / 1000} s; its local worker was ended`)
        throw new UnrecoverableError(FAILED.timeout)
      }
      // The local unit died under the task (process.exit, out of memory): the task's failure, with
      // the distributed pool's class whatever this host's backend (Python's message is kept).
      this.#log(`conc-worker: ${what} failed: ${(error as Error)?.message ?? String(error)}`)
      const failure = error instanceof BrokenExecutor ? new BrokenProcessPool((error as Error).message, { cause: (error as Error).cause }) : error
      return { err: encodeValue(await serializeForClient(failure, this.#info.root)) }
    } finally {
      this.#running.delete(id)
    }
  }

  /**
   * A pack: its tasks run one after the other in one local unit (the client packs only tasks of a
   * function measured fast, without a timeout), except those its client cancelled meanwhile.
   */
  async #runPackOf(data: JobData, id: string, signal: AbortSignal): Promise<JobResult> {
    const ids = data.q as readonly string[]
    let skip: boolean[]
    try {
      skip = (await this.#commands.mget(ids.map((task) => this.#keys.cancel(task)))).map((marker) => marker !== null)
    } catch {
      skip = ids.map(() => false)
    }
    if (signal.aborted) throw signal.reason
    const result = (await this.#pool.applyAsync(this.#runPack, [this.#info, data, skip], { signal })) as { pk: Envelope[] }
    result.pk.forEach((envelope, k) => {
      if ('err' in envelope) this.#log(`conc-worker: task ${ids[k]} (in pack ${id}) ${data.p}#${data.x} raised ${describeFailure(envelope)}`)
    })
    return result
  }

  #cancel(id: string): void {
    const running = this.#running.get(id)
    if (running !== undefined && !running.controller.signal.aborted) running.controller.abort(CANCEL)
  }

  /** Reads the cancel markers of the jobs started within MARKER_DELAY_MS and still running, in one command. */
  #checkMarker(id: string): void {
    this.#toCheck.push(id)
    if (this.#toCheck.length === 1) {
      setTimeout(() => void this.#checkMarkers(this.#toCheck.splice(0).filter((started) => this.#running.has(started))), MARKER_DELAY_MS)
    }
  }

  async #checkMarkers(ids = [...this.#running.keys()]): Promise<void> {
    if (ids.length === 0) return
    try {
      const set = await this.#commands.mget(ids.map((id) => this.#keys.cancel(id)))
      ids.forEach((id, i) => set[i] !== null && this.#cancel(id))
    } catch {
      // Redis is gone again; the next reconnection checks again.
    }
  }

  #onLockLost(ids: string[]): void {
    for (const id of ids) {
      const running = this.#running.get(id)
      if (running === undefined) continue
      this.#log(`conc-worker: job ${id}: this host lost its lock (another host may run it); its local worker is ended`)
      running.controller.abort(LOST)
    }
  }

  #onError(error: unknown): void {
    const message = (error as Error)?.message ?? String(error)
    if (/Missing lock|Missing key|lock mismatch|not in the active/i.test(message)) {
      this.#log(`conc-worker: a late result was refused (another host had taken the job): ${message}`)
    } else if (!/ECONNREFUSED|ECONNRESET|ENOTFOUND|EPIPE|Connection is closed|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/.test(message)) {
      this.#log(`conc-worker: error: ${message}`)
    }
  }

  /**
   * Stops taking jobs and lets the running tasks finish; after `shutdownTimeout` seconds the
   * ones still running are ended and handed back to the queue (another host runs them), and
   * after 10 more seconds the connections are dropped whatever happened. Calling it again with
   * `{ now: true }` hands the running tasks back at once.
   */
  close(options: { readonly now?: boolean } = {}): Promise<void> {
    if (options.now === true) this.#handBack()
    this.#closing ??= (async () => {
      const n = this.#running.size
      this.#log(`conc-worker: stopping: ${n} running task(s) get ${this.#shutdownMs / 1000} s to finish, then go back to the queue`)
      const grace = setTimeout(() => this.#handBack(), this.#shutdownMs)
      let hard: NodeJS.Timeout | undefined
      const deadline = new Promise<void>((resolve) => (hard = setTimeout(resolve, this.#shutdownMs + 10_000)))
      await Promise.race([this.#worker.close(), deadline])
      clearTimeout(grace)
      clearTimeout(hard)
      this.#handBack()
      this.#pool.terminate()
      await Promise.race([this.#pool.join(), new Promise((resolve) => setTimeout(resolve, 5000).unref())])
      await Promise.allSettled([this.#worker.close(true), this.#subscriber.quit(), this.#commands.quit()])
      this.#subscriber.disconnect()
      this.#commands.disconnect()
      this.#log('conc-worker: stopped')
    })()
    return this.#closing
  }

  #handBack(): void {
    for (const { controller } of this.#running.values()) if (!controller.signal.aborted) controller.abort(HANDBACK)
  }
}

/**
 * The host's options, checked before anything connects: BullMQ's Worker opens its connections
 * before it checks its own options, and would leave them open when it refuses one.
 */
function checkOptions(options: WorkerHostOptions): void {
  positive(options.concurrency, 'concurrency', 1, true)
  positive(options.maxTasksPerChild, 'maxTasksPerChild', 1, true)
  positive(options.lockDuration, 'lockDuration', DEFAULT_LOCK_DURATION, false)
  positive(options.stalledInterval, 'stalledInterval', DEFAULT_STALLED_INTERVAL, false)
  positive(options.payloadLimit, 'payloadLimit', DEFAULT_PAYLOAD_LIMIT, true)
  nonNegative(options.maxStalled, 'maxStalled', DEFAULT_MAX_STALLED, true)
  nonNegative(options.shutdownTimeout, 'shutdownTimeout', DEFAULT_SHUTDOWN_TIMEOUT, false)
  const backend = options.backend
  if (backend !== undefined && backend !== 'processes' && backend !== 'threads') {
    throw new ValueError(`backend must be 'processes' or 'threads', got '${String(backend)}'`)
  }
}

/** `Name: message` of the error in a failed envelope, for the host's line. */
function describeFailure(envelope: { readonly err: string }): string {
  try {
    const serialized = decodeValue(envelope.err) as { name?: unknown; message?: unknown; value?: unknown }
    if (typeof serialized.name === 'string') return `${serialized.name}: ${String(serialized.message)}`
    return `the value ${String(serialized.value)}`
  } catch {
    return 'an error that cannot be shown'
  }
}
