/**
 * The client side of the distributed engine: core's `Executor` and `BasePool` push their tasks
 * here (the engine seam, `@conc/core/engine`), and each task becomes a BullMQ job that a worker
 * host runs. Every future settles exactly once: from the job's `completed`/`failed` event, from a
 * read of the job's state when events may have been missed (reconnection, a trimmed stream), or
 * with a clear error when Redis stays unreachable past `redisTimeout`.
 */
import { randomBytes } from 'node:crypto'
import { CancelledError, ValueError } from '@conc/core'
import { type EngineOptions, type FnEntry, MODE_CALL, type PoolEngine, type Task } from '@conc/core/engine'
import { encodeArgs } from './codec.js'
import { ADDED, ADDING, DONE, Entry, LOCAL, RemoteFunctions } from './entry.js'
import { readJobs } from './job-state.js'
import { CANCEL_MARKER_TTL_MS, keys, type Keys } from './keys.js'
import { type Clients, Link } from './link.js'
import type { Settings } from './options.js'
import { References } from './reference.js'
import { type Broken, type Outcome, failureOf, outcomeOf } from './outcome.js'
import { FAILED, type FunctionRef, type JobData, WIRE_VERSION } from './wire.js'

/** Jobs added in one `addBulk` call at most. */
const ADD_BATCH = 1000
/** Jobs not heard of for this long are read back (events may have been missed). */
const RECONCILE_AFTER_MS = 15_000
const WATCH_INTERVAL_MS = 500
/** How long closing waits for Redis before it drops the connections. */
const CLOSE_TIMEOUT_MS = 3000
/**
 * An idle client closes its connections after this long (and opens them again on its next task):
 * BullMQ's event reader keeps a timer that would keep the program alive, and an idle program
 * should end, as with a local pool.
 */
const IDLE_CLOSE_MS = 1000

export class RemoteEngine implements PoolEngine {
  readonly functions: RemoteFunctions
  readonly workerIds: number[] = []
  /** `map`/`imap` read their input a window at a time: at most `maxInFlight` chunks ahead. */
  readonly buffersize: number
  readonly #settings: Settings
  readonly #keys: Keys
  readonly #Broken: Broken
  readonly #client = `c${randomBytes(6).toString('base64url')}`
  #seq = 0
  readonly #pending = new Map<string, Entry>()
  #local: Entry[] = []
  #inFlight = 0
  #link: Link | undefined
  #pumping = false
  #broken: Error | undefined
  #closed = false
  #idleWaiters: (() => void)[] = []
  /** Jobs abandoned by this client that ended, to remove from Redis. */
  #toRemove: string[] = []
  #removing = false
  /** Jobs this client gave up on while they may still run; removed when they end. */
  readonly #abandoned = new Set<string>()
  /** Commands in flight that closing should wait for. */
  readonly #chores = new Set<Promise<unknown>>()
  #watch: NodeJS.Timeout | undefined
  #idleTimer: NodeJS.Timeout | undefined
  #downSince: number | undefined
  readonly #init: { readonly entry: FnEntry; readonly args: string } | undefined

  constructor(settings: Settings, options: EngineOptions, Broken: Broken) {
    if (options.maxTasksPerChild !== undefined) {
      throw new ValueError(
        'maxTasksPerChild is a setting of the worker hosts, whose workers all clients share: start them with ' +
          '`conc-worker --max-tasks-per-child K`',
      )
    }
    this.#settings = settings
    this.buffersize = settings.maxInFlight
    this.#keys = keys(settings.prefix, settings.queue)
    this.#Broken = Broken
    this.functions = new RemoteFunctions(new References(settings.app))
    const init = options.initializer
    this.#init =
      init === undefined || init === null
        ? undefined
        : { entry: this.functions.get(init, 'initializer'), args: encodeArgs(MODE_CALL, options.initargs, settings.payloadLimit) }
  }

  get broken(): Error | undefined {
    return this.#broken
  }

  push(task: Task): void {
    if (this.#broken !== undefined) throw this.#broken
    const signal = task.extra?.signal
    if (signal?.aborted) {
      task.sink.cancel(task, signal.reason)
      return
    }
    let args: string
    try {
      args = encodeArgs(task.mode, task.payload, this.#settings.payloadLimit)
    } catch (error) {
      task.sink.reject(task, error)
      return
    }
    const entry = new Entry(`${this.#client}.${(++this.#seq).toString(36)}`, task, args)
    if (this.#pending.size === 0) this.#setBusy(true)
    this.#pending.set(entry.id, entry)
    this.#local.push(entry)
    if (signal !== undefined) {
      entry.onAbort = () => this.#abort(entry, signal.reason)
      signal.addEventListener('abort', entry.onAbort, { once: true })
    }
    task.sink.onCancel?.(task, () => this.#cancelled(entry))
    void this.#pump()
  }

  cancelQueued(reason: unknown): void {
    for (const entry of [...this.#pending.values()]) {
      if (entry.started) continue
      this.#settle(entry, (task) => task.sink.cancel(task, reason))
      this.#withdraw(entry)
    }
  }

  drain(): Promise<void> {
    if (this.#pending.size === 0 || this.#broken !== undefined) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  async stop(): Promise<void> {
    this.#closed = true
    this.#flushRemovals()
    await this.#close()
  }

  async terminate(reason: () => unknown): Promise<void> {
    this.#closed = true
    for (const entry of [...this.#pending.values()]) {
      this.#settle(entry, (task) => task.sink.reject(task, reason()))
      this.#withdraw(entry)
    }
    await this.#close()
  }

  /**
   * `terminateWorkers()` / `killWorkers()`. The worker hosts serve every client, so they are not
   * this client's to end: what ends is this client's work. Every task not settled fails with the
   * broken error and is withdrawn (one that runs is stopped on its host, as a cancelled one is, and
   * its local worker there is ended), and the executor is broken. SIGTERM or SIGKILL makes no
   * difference here.
   */
  async endWorkers(_kill: boolean): Promise<void> {
    this.#closed = true
    const broken = new this.#Broken(
      'The workers were terminated (terminateWorkers/killWorkers): the tasks of this executor that were running on ' +
        'worker hosts were stopped there, and this executor is not usable anymore.',
    )
    this.#broken ??= broken
    for (const entry of [...this.#pending.values()]) {
      this.#settle(entry, (task) => task.sink.reject(task, broken))
      this.#withdraw(entry)
    }
    await this.#close()
  }

  // ----- submission

  #connect(): Link {
    this.#link ??= new Link(
      this.#settings,
      this.#keys,
      {
        active: (e) => this.#onActive(e.jobId as string),
        completed: (e) => this.#onCompleted(e.jobId as string, e.returnvalue),
        failed: (e) => this.#onFailed(e.jobId as string, String(e.failedReason)),
        removed: (e) => this.#onRemoved(e.jobId as string),
      },
      () => void this.#reconcile(0),
    )
    return this.#link
  }

  /** Adds queued tasks to Redis while fewer than `maxInFlight` of this client's are there. */
  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      const link = this.#connect()
      await link.ready
      while (this.#local.length > 0 && this.#inFlight < this.#settings.maxInFlight && this.#broken === undefined) {
        const room = Math.min(ADD_BATCH, this.#settings.maxInFlight - this.#inFlight)
        const batch: Entry[] = []
        while (batch.length < room && this.#local.length > 0) {
          const entry = this.#local.shift() as Entry
          if (entry.state === LOCAL) batch.push(entry)
        }
        const jobs = []
        for (const entry of batch) {
          const data = await this.#data(entry)
          if (data === undefined || entry.state !== LOCAL) continue
          entry.state = ADDING
          this.#inFlight++
          jobs.push({ entry, data })
        }
        if (jobs.length > 0) this.#add(jobs)
      }
    } catch (error) {
      this.#break(error)
    } finally {
      this.#pumping = false
    }
  }

  /** The job data of `entry`, or undefined when its function cannot travel (the task then failed). */
  async #data(entry: Entry): Promise<JobData | undefined> {
    const { task } = entry
    let ref: FunctionRef
    let init: JobData['i']
    try {
      ref = await (this.functions.refs.get(task.fn) as Promise<FunctionRef>)
      if (this.#init !== undefined) init = { ...(await (this.functions.refs.get(this.#init.entry) as Promise<FunctionRef>)), a: this.#init.args }
    } catch (error) {
      this.#settle(entry, (t) => t.sink.reject(t, error))
      return undefined
    }
    const timeoutMs = task.extra?.timeoutMs
    return {
      v: WIRE_VERSION,
      c: this.#client,
      p: ref.p,
      x: ref.x,
      ...(ref.w === undefined ? {} : { w: ref.w }),
      h: ref.h,
      m: task.mode,
      a: entry.args,
      ...(timeoutMs === undefined ? {} : { t: timeoutMs }),
      ...(this.#settings.atMostOnce ? { o: 1 as const } : {}),
      ...(init === undefined ? {} : { i: init }),
    }
  }

  /** One `addBulk`, retried while Redis is unreachable (the job ids make a repeat harmless). */
  #add(jobs: readonly { readonly entry: Entry; readonly data: JobData }[]): void {
    const { queue } = (this.#link as Link).clients as Clients
    // A finished job stays for `resultRetention` seconds, so that a result whose event this client
    // missed can be read back; BullMQ removes older ones as it finishes jobs (no round trip of ours).
    const keep = { age: this.#settings.resultRetentionS }
    const bulk = jobs.map(({ entry, data }) => ({
      name: data.x,
      data,
      opts: { jobId: entry.id, removeOnComplete: keep, removeOnFail: keep },
    }))
    const added = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          // One job: a plain add (one script call), not addBulk's transaction around it.
          const [one] = bulk
          if (bulk.length === 1 && one !== undefined) await queue.add(one.name, one.data, one.opts)
          else await queue.addBulk(bulk)
          break
        } catch (error) {
          if (this.#broken !== undefined || this.#closed) return
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 1000)))
        }
      }
      const now = Date.now()
      for (const { entry } of jobs) {
        entry.touched = now
        if (entry.state === ADDING) entry.state = ADDED
      }
    })()
    for (const { entry } of jobs) entry.added = added
  }

  // ----- events

  #onActive(id: string): void {
    const entry = this.#pending.get(id)
    if (entry === undefined) return
    entry.touched = Date.now()
    if (entry.started) return
    entry.started = true
    // False when the future was cancelled meanwhile: its job is being withdrawn already.
    entry.task.sink.start(entry.task)
  }

  #onCompleted(id: string, returnvalue: unknown): void {
    const entry = this.#pending.get(id)
    if (entry === undefined) {
      if (this.#abandoned.delete(id)) this.#remove(id)
      return
    }
    if (entry.settling) return
    const outcome = outcomeOf(id, returnvalue, this.#settings.app, this.#Broken)
    if (!(outcome instanceof Promise)) return this.#apply(entry, outcome)
    entry.settling = true
    void outcome.then((known) => this.#apply(entry, known))
  }

  #apply(entry: Entry, outcome: Outcome): void {
    if (outcome.ok) this.#settle(entry, (task) => task.sink.resolve(task, outcome.value))
    else if (outcome.init === true) this.#break(outcome.error)
    else this.#settle(entry, (task) => task.sink.reject(task, outcome.error))
  }

  #onFailed(id: string, reason: string): void {
    const entry = this.#pending.get(id)
    if (entry?.settling === true) return
    if (entry === undefined) {
      if (this.#abandoned.delete(id)) this.#remove(id)
      return
    }
    this.#settle(entry, (task) => task.sink.reject(task, failureOf(reason, task.extra?.timeoutMs, this.#Broken)))
  }

  #onRemoved(id: string): void {
    const entry = this.#pending.get(id)
    // This client removes only jobs whose tasks have settled: someone else removed this one.
    if (entry === undefined || entry.state === LOCAL || entry.settling) return
    this.#settle(entry, (task) => task.sink.cancel(task, new CancelledError('the task was removed from the queue by another program')))
  }

  // ----- cancellation

  /** The task's signal was aborted: a task not started is withdrawn, a running one is stopped. */
  #abort(entry: Entry, reason: unknown): void {
    if (entry.state === DONE) return
    const started = entry.started
    this.#settle(entry, (task) => (started ? task.sink.reject(task, reason) : task.sink.cancel(task, reason)))
    this.#withdraw(entry)
  }

  /** The task's future was cancelled by its owner (it had not started, as far as this client knows). */
  #cancelled(entry: Entry): void {
    if (entry.state === DONE) return
    this.#settle(entry, undefined)
    this.#withdraw(entry)
  }

  /**
   * Takes a settled task's job out of Redis: removed if it waits, stopped on its host if it runs
   * (a marker the host reads when the job starts, and a message to every host).
   */
  #withdraw(entry: Entry): void {
    if (entry.added === undefined) return
    const { queue, commands } = (this.#link as Link).clients as Clients
    const id = entry.id
    this.#abandoned.add(id)
    this.#chore(
      (async () => {
        await entry.added
        const removed = await queue.remove(id)
        if (removed === 1) {
          this.#abandoned.delete(id)
          return
        }
        await commands.set(this.#keys.cancel(id), '1', 'PX', CANCEL_MARKER_TTL_MS)
        await commands.publish(this.#keys.cancelChannel, id)
      })(),
    )
  }

  // ----- settling

  /** Settles `entry` once: `how` reports to its sink (none when its future was cancelled by its owner). */
  #settle(entry: Entry, how: ((task: Task) => void) | undefined): void {
    if (entry.state === DONE) return
    const inRedis = entry.state === ADDING || entry.state === ADDED
    entry.state = DONE
    this.#pending.delete(entry.id)
    if (entry.onAbort !== undefined) entry.task.extra?.signal?.removeEventListener('abort', entry.onAbort)
    if (inRedis) {
      this.#inFlight--
      if (this.#local.length > 0) void this.#pump()
    }
    how?.(entry.task)
    if (this.#pending.size === 0) this.#idle()
  }

  /** Removes an abandoned job once it ended, in batches (the others age out: `resultRetention`). */
  #remove(id: string): void {
    this.#toRemove.push(id)
    if (!this.#removing) {
      this.#removing = true
      setImmediate(() => this.#flushRemovals())
    }
  }

  #flushRemovals(): void {
    this.#removing = false
    const ids = this.#toRemove
    const queue = this.#link?.clients?.queue
    if (ids.length === 0 || queue === undefined) return
    this.#toRemove = []
    // A job still active (abandoned) is not removed; its end event brings it back here.
    for (const id of ids) this.#chore(queue.remove(id))
  }

  #chore(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => undefined).finally(() => this.#chores.delete(tracked))
    this.#chores.add(tracked)
  }

  #break(error: unknown): void {
    if (this.#broken !== undefined) return
    this.#broken = error instanceof Error ? error : new this.#Broken(String(error))
    const broken = this.#broken
    for (const entry of [...this.#pending.values()]) {
      this.#settle(entry, (task) => task.sink.reject(task, broken))
      this.#withdraw(entry)
    }
    this.#idle()
  }

  #idle(): void {
    this.#setBusy(false)
    if (this.#link !== undefined && this.#idleTimer === undefined && !this.#closed) {
      this.#idleTimer = setTimeout(() => this.#release(), IDLE_CLOSE_MS)
      this.#idleTimer.unref()
    }
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const wake of waiters) wake()
  }

  // ----- Redis health and reconciliation

  /** Closes the connections of an idle client; its next task opens new ones. */
  #release(): void {
    this.#idleTimer = undefined
    const link = this.#link
    if (link === undefined || this.#pending.size > 0) return
    this.#flushRemovals()
    this.#link = undefined
    const chores = Promise.allSettled([...this.#chores])
    void Promise.race([chores, new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]).then(() => link.close(CLOSE_TIMEOUT_MS))
  }

  /** While tasks are pending: watch Redis, read back jobs not heard of, keep the program alive. */
  #setBusy(busy: boolean): void {
    if (busy && this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer)
      this.#idleTimer = undefined
    }
    this.#link?.setBusy(busy)
    if (busy && this.#watch === undefined) {
      this.#downSince = undefined
      this.#watch = setInterval(() => this.#check(), WATCH_INTERVAL_MS)
    } else if (!busy && this.#watch !== undefined) {
      clearInterval(this.#watch)
      this.#watch = undefined
    }
  }

  #check(): void {
    const link = this.#link
    if (link === undefined) return
    const now = Date.now()
    if (link.up) {
      this.#downSince = undefined
      void this.#reconcile(RECONCILE_AFTER_MS)
      return
    }
    this.#downSince ??= now
    if (now - this.#downSince >= this.#settings.redisTimeoutMs) {
      const seconds = this.#settings.redisTimeoutMs / 1000
      this.#break(
        new this.#Broken(
          `Redis at ${this.#settings.shown} has been unreachable for ${seconds} seconds (the redisTimeout option): the ` +
            'tasks not finished fail, and this executor is not usable anymore; make a new one once Redis is back.',
        ),
      )
    }
  }

  #reconciling = false

  /** Reads back the jobs not heard of for `olderThanMs`: finished ones settle, lost ones are added again. */
  async #reconcile(olderThanMs: number): Promise<void> {
    const commands = this.#link?.clients?.commands
    if (commands === undefined || this.#reconciling) return
    const now = Date.now()
    const entries = [...this.#pending.values()].filter((entry) => entry.state === ADDED && now - entry.touched >= olderThanMs).slice(0, 5000)
    if (entries.length === 0) return
    this.#reconciling = true
    try {
      const states = await readJobs(commands, this.#keys, entries.map((entry) => entry.id))
      entries.forEach((entry, i) => {
        const found = states[i]
        if (found === undefined || entry.state !== ADDED || entry.settling) return
        entry.touched = now
        if (found.state === 'missing') this.#lost(entry)
        else if (found.state === 'completed') this.#onCompleted(entry.id, found.returnvalue)
        else if (found.state === 'failed') this.#onFailed(entry.id, found.reason)
      })
    } catch {
      // Redis went away again; the next check retries.
    } finally {
      this.#reconciling = false
    }
  }

  /**
   * A job vanished from Redis before it settled (Redis restarted without persistence). At most
   * once, it fails: it may have started on a host without this client hearing of it.
   */
  #lost(entry: Entry): void {
    if (this.#settings.atMostOnce) {
      this.#settle(entry, (task) => task.sink.reject(task, failureOf(FAILED.lost, undefined, this.#Broken)))
      return
    }
    // At least once: run it again. Its id is free (the job is gone).
    entry.state = LOCAL
    this.#inFlight--
    this.#local.unshift(entry)
    void this.#pump()
  }

  async #close(): Promise<void> {
    if (this.#watch !== undefined) clearInterval(this.#watch)
    this.#watch = undefined
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
    const link = this.#link
    if (link === undefined) return
    const chores = Promise.allSettled([...this.#chores])
    await Promise.race([chores, new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())])
    await link.close(CLOSE_TIMEOUT_MS)
  }
}
