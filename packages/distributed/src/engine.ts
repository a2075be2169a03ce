/**
 * The client side of the distributed engine: core's `Executor` and `BasePool` push their tasks
 * here (the engine seam, `@conc/core/engine`), and each task becomes a BullMQ job that a worker
 * host runs. Every future settles exactly once: from the job's `completed`/`failed` event, from a
 * read of the job's state when events may have been missed (reconnection, a trimmed stream), or
 * with a clear error when Redis stays unreachable past `redisTimeout`.
 */
import { randomBytes } from 'node:crypto'
import { CancelledError, ValueError } from '@conc/core'
import { type EngineOptions, type FnEntry, MODE_CALL, MODE_ONE, onAbort, type PoolEngine, type Task } from '@conc/core/engine'
import { encodeArgs } from './codec.js'
import { ADDED, ADDING, DONE, Entry, LOCAL, Pack, RemoteFunctions } from './entry.js'
import { readJobs } from './job-state.js'
import { CANCEL_MARKER_TTL_MS, keys, type Keys } from './keys.js'
import { type Clients, Link } from './link.js'
import type { Settings } from './options.js'
import { References } from './reference.js'
import { type Broken, type Outcome, failureOf, outcomeOf } from './outcome.js'
import { type Envelope, FAILED, type FunctionRef, type JobData, WIRE_VERSION, decodeValue } from './wire.js'

/** Jobs added in one `addBulk` call at most. */
const ADD_BATCH = 1000
/**
 * Tasks of a fast function travel several to a job (a pack), as the local pools batch them: up to
 * PACK_MAX tasks, about PACK_TARGET_MS of host time, for functions measured (on the hosts) at
 * under PACK_BELOW_MS a call. A job costs BullMQ, Redis and the host far more than such a call.
 */
const PACK_MAX = 64
const PACK_TARGET_MS = 4
const PACK_BELOW_MS = 1
/** A pack's encoded arguments stay under this size (a task with larger ones travels alone). */
const PACK_BYTES = 1024 * 1024
/**
 * A pack holds as many tasks as this many bytes of their function's results (as measured on the
 * results that came back so far). Hosts also stop a pack whose results reach the payload limit,
 * and its tasks not run come back to be sent alone (task-runner.ts, `runPack`).
 */
const PACK_RESULT_BYTES = 1024 * 1024
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

/** A job to add: one task, or a pack of them. */
interface Job {
  readonly id: string
  readonly data: JobData
  readonly members: readonly Entry[]
}

/**
 * How many tasks like `task` may share a job: 1 unless its function is measured fast, and no more
 * than PACK_RESULT_BYTES of its results (`resultBytes`: their average size so far, if known).
 */
function packSize(task: Task, resultBytes: number | undefined): number {
  const avg = task.fn.avgMs
  if (avg === undefined || avg >= PACK_BELOW_MS || task.extra?.timeoutMs !== undefined) return 1
  if (task.mode !== MODE_ONE && task.mode !== MODE_CALL) return 1
  const byTime = Math.floor(PACK_TARGET_MS / Math.max(avg, 0.01))
  const bySize = resultBytes === undefined ? PACK_MAX : Math.floor(PACK_RESULT_BYTES / Math.max(resultBytes, 1))
  return Math.max(1, Math.min(PACK_MAX, byTime, bySize))
}

export class RemoteEngine implements PoolEngine {
  readonly functions: RemoteFunctions
  readonly workerIds: number[] = []
  /** `map`/`imap` read their input a window at a time: at most `maxInFlight` chunks ahead. */
  readonly buffersize: number
  /** Fast calls share a job (`packSize`): `Pool.imap` keeps its items apart (core's engine.ts). */
  readonly packsCalls = true
  readonly #settings: Settings
  readonly #keys: Keys
  readonly #Broken: Broken
  readonly #client = `c${randomBytes(6).toString('base64url')}`
  #seq = 0
  readonly #pending = new Map<string, Entry>()
  /** Packs in Redis with tasks not settled, by job id. */
  readonly #packs = new Map<string, Pack>()
  /** The average size of each function's encoded results, as they came back. */
  readonly #resultBytes = new WeakMap<FnEntry, number>()
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
  /** Tasks withdrawn from packs, to mark as cancelled. */
  #toMark: Entry[] = []
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
    const entry = new Entry(this.#newId(), task, args)
    if (this.#pending.size === 0) this.#setBusy(true)
    this.#pending.set(entry.id, entry)
    this.#local.push(entry)
    if (signal !== undefined) {
      entry.offAbort = onAbort(signal, () => this.#abort(entry, signal.reason))
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
        const ready: { entry: Entry; data: JobData }[] = []
        for (const entry of batch) {
          const data = await this.#data(entry)
          if (data === undefined || entry.state !== LOCAL) continue
          entry.state = ADDING
          this.#inFlight++
          ready.push({ entry, data })
        }
        // A task settled while later ones were prepared (cancelled, aborted) is not added.
        const adding = ready.filter(({ entry }) => entry.state === ADDING)
        if (adding.length > 0) this.#add(this.#packed(adding))
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

  /**
   * The jobs for `ready` tasks: one each, except that consecutive tasks of a function measured
   * fast (and without a timeout) go several to a job.
   */
  #packed(ready: readonly { readonly entry: Entry; readonly data: JobData }[]): Job[] {
    const jobs: Job[] = []
    for (let i = 0; i < ready.length; ) {
      const { entry, data } = ready[i] as { entry: Entry; data: JobData }
      const resultBytes = this.#resultBytes.get(entry.task.fn)
      const size = packSize(entry.task, resultBytes)
      let n = 1
      let bytes = entry.args.length
      while (n < size && i + n < ready.length) {
        const next = (ready[i + n] as { entry: Entry }).entry
        bytes += next.args.length
        if (next.task.fn !== entry.task.fn || next.task.mode !== entry.task.mode || packSize(next.task, resultBytes) === 1 || bytes > PACK_BYTES) break
        n++
      }
      if (n === 1) jobs.push({ id: entry.id, data, members: [entry] })
      else {
        const members = ready.slice(i, i + n).map((r) => r.entry)
        const pack = new Pack(this.#newId('p'), members)
        for (const member of members) member.pack = pack
        this.#packs.set(pack.id, pack)
        jobs.push({ id: pack.id, data: { ...data, a: '', b: members.map((m) => m.args), q: members.map((m) => m.id) }, members })
      }
      i += n
    }
    return jobs
  }

  /** One `addBulk`, retried while Redis is unreachable (the job ids make a repeat harmless). */
  #add(jobs: readonly Job[]): void {
    const { queue } = (this.#link as Link).clients as Clients
    // A finished job stays for `resultRetention` seconds, so that a result whose event this client
    // missed can be read back; BullMQ removes older ones as it finishes jobs (no round trip of ours).
    const keep = { age: this.#settings.resultRetentionS }
    const bulk = jobs.map(({ id, data }) => ({
      name: data.x,
      data,
      opts: { jobId: id, removeOnComplete: keep, removeOnFail: keep },
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
      for (const { members } of jobs) {
        for (const entry of members) {
          entry.touched = now
          if (entry.state === ADDING) entry.state = ADDED
        }
      }
    })()
    for (const { members } of jobs) for (const entry of members) entry.added = added
  }

  // ----- events

  /** The tasks not settled of the job `id` (one task, or a pack's). */
  #tasksOf(id: string): Entry[] | undefined {
    const pack = this.#packs.get(id)
    if (pack !== undefined) return pack.pending
    const entry = this.#pending.get(id)
    return entry === undefined || entry.pack !== undefined ? undefined : [entry]
  }

  #onActive(id: string): void {
    const now = Date.now()
    for (const entry of this.#tasksOf(id) ?? []) {
      entry.touched = now
      if (entry.started) continue
      entry.started = true
      // False when the future was cancelled meanwhile: its job is being withdrawn already.
      entry.task.sink.start(entry.task)
    }
  }

  #onCompleted(id: string, returnvalue: unknown): void {
    const tasks = this.#tasksOf(id)
    if (tasks === undefined) {
      if (this.#abandoned.delete(id)) this.#remove(id)
      return
    }
    const pack = this.#packs.get(id)
    const each = (returnvalue as { pk?: unknown } | null)?.pk
    if (pack === undefined || !Array.isArray(each)) {
      // One task, or a pack that failed as a whole on its host (the same outcome for each task).
      for (const entry of tasks) this.#complete(entry, returnvalue)
      return
    }
    const again: Entry[] = []
    for (const entry of tasks) {
      const envelope = each[pack.members.indexOf(entry)] as Partial<{ n: 1 }> | null | undefined
      if (envelope?.n === 1 && !entry.settling) again.push(entry)
      else this.#complete(entry, envelope)
    }
    // Tasks its host did not run (the pack's results had reached the payload limit): added again,
    // each in a job of its own (their function's results are known to be large by now).
    if (again.length > 0) this.#addAgain(again)
    if (pack.pending.length === 0) this.#packs.delete(id)
  }

  /** Tasks in Redis that must be added again (their ids are free), first in line and not in a pack. */
  #addAgain(entries: readonly Entry[]): void {
    for (const entry of entries) {
      entry.state = LOCAL
      entry.pack = undefined
      // Not in Redis until added again: a cancel meanwhile has no job to withdraw.
      entry.added = undefined
      this.#inFlight--
    }
    this.#local.unshift(...entries)
    void this.#pump()
  }

  #complete(entry: Entry, returnvalue: unknown): void {
    if (entry.settling) return
    const envelope = returnvalue as Partial<{ d: number; s: 1; ok: string; err: string }> | null | undefined
    const fn = entry.task.fn
    if (typeof envelope?.d === 'number') {
      fn.avgMs = fn.avgMs === undefined ? envelope.d : (fn.avgMs + envelope.d) / 2
    }
    const value = envelope?.ok ?? envelope?.err
    if (typeof value === 'string') {
      const known = this.#resultBytes.get(fn)
      this.#resultBytes.set(fn, known === undefined ? value.length : (known + value.length) / 2)
    }
    if (envelope?.s === 1) {
      // Not run, a cancel marker was found (a task this client cancelled is settled already).
      this.#settle(entry, (task) => task.sink.cancel(task, new CancelledError('the task was cancelled before it ran')))
      return
    }
    const ran = (envelope as { r?: unknown } | null | undefined)?.r
    if (typeof ran === 'number' && typeof envelope?.ok === 'string' && this.#sendRest(entry, envelope.ok, ran)) return
    const outcome = outcomeOf(entry.id, returnvalue, this.#settings.app, this.#Broken, entry.head)
    if (!(outcome instanceof Promise)) return this.#apply(entry, outcome)
    entry.settling = true
    void outcome.then((known) => this.#apply(entry, known))
  }

  /**
   * A chunk of `map` whose host ran only its first `ran` items (their results would have passed
   * the payload limit): keeps their results, and adds the rest of the chunk as a job of its own.
   * False when that cannot be done (the outcome is then the chunk's error).
   */
  #sendRest(entry: Entry, ok: string, ran: number): boolean {
    const { task } = entry
    const items = task.payload as ArrayLike<unknown> & { slice(start: number): unknown }
    if (entry.settling || ran < 1 || ran >= items.length) return false
    let head: unknown[]
    let args: string
    try {
      head = decodeValue(ok) as unknown[]
      args = encodeArgs(task.mode, items.slice((entry.head?.length ?? 0) + ran), this.#settings.payloadLimit)
    } catch {
      return false
    }
    entry.head = entry.head === undefined ? head : entry.head.concat(head)
    this.#pending.delete(entry.id)
    entry.id = this.#newId()
    entry.args = args
    this.#pending.set(entry.id, entry)
    this.#addAgain([entry])
    return true
  }

  /** A job id of this client's, never used before (`kind`: 'p' for a pack). */
  #newId(kind = ''): string {
    return `${this.#client}.${kind}${(++this.#seq).toString(36)}`
  }

  #apply(entry: Entry, outcome: Outcome): void {
    if (outcome.ok) this.#settle(entry, (task) => task.sink.resolve(task, outcome.value))
    else if (outcome.init === true) this.#break(outcome.error)
    else this.#settle(entry, (task) => task.sink.reject(task, outcome.error))
  }

  #onFailed(id: string, reason: string): void {
    const tasks = this.#tasksOf(id)
    if (tasks === undefined) {
      if (this.#abandoned.delete(id)) this.#remove(id)
      return
    }
    for (const entry of tasks) {
      if (!entry.settling) this.#settle(entry, (task) => task.sink.reject(task, failureOf(reason, task.extra?.timeoutMs, this.#Broken)))
    }
  }

  #onRemoved(id: string): void {
    // This client removes only jobs whose tasks have settled: someone else removed this one.
    for (const entry of this.#tasksOf(id) ?? []) {
      if (entry.state === LOCAL || entry.settling) continue
      this.#settle(entry, (task) => task.sink.cancel(task, new CancelledError('the task was removed from the queue by another program')))
    }
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
    const pack = entry.pack
    if (pack !== undefined && pack.pending.length > 0) {
      // Other tasks of its pack still wait for the job: a marker makes the host skip this one if
      // it has not started the pack yet (the task settled here already either way). Looked at
      // once the current turn is over: a shutdown that cancels them all withdraws the whole job.
      this.#toMark.push(entry)
      if (this.#toMark.length === 1) queueMicrotask(() => this.#markCancelled())
      return
    }
    const id = entry.jobId
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

  /**
   * Tasks withdrawn from packs whose other tasks waited: markers, unless the pack's tasks have all
   * settled since (the last one withdrawn took the whole job back, or the job finished).
   */
  #markCancelled(): void {
    const commands = this.#link?.clients?.commands
    for (const entry of this.#toMark.splice(0)) {
      if (commands === undefined || (entry.pack as Pack).pending.length === 0) continue
      this.#chore((entry.added as Promise<unknown>).then(() => commands.set(this.#keys.cancel(entry.id), '1', 'PX', CANCEL_MARKER_TTL_MS)))
    }
  }

  // ----- settling

  /** Settles `entry` once: `how` reports to its sink (none when its future was cancelled by its owner). */
  #settle(entry: Entry, how: ((task: Task) => void) | undefined): void {
    if (entry.state === DONE) return
    const inRedis = entry.state === ADDING || entry.state === ADDED
    entry.state = DONE
    this.#pending.delete(entry.id)
    const pack = entry.pack
    if (pack !== undefined && pack.pending.length === 0) this.#packs.delete(pack.id)
    entry.offAbort?.()
    entry.offAbort = undefined
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
    const ids = new Set<string>()
    for (const entry of this.#pending.values()) {
      if (entry.state === ADDED && now - entry.touched >= olderThanMs) ids.add(entry.jobId)
      if (ids.size >= 5000) break
    }
    if (ids.size === 0) return
    this.#reconciling = true
    try {
      const jobIds = [...ids]
      const states = await readJobs(commands, this.#keys, jobIds)
      jobIds.forEach((id, i) => {
        const found = states[i]
        const tasks = (this.#tasksOf(id) ?? []).filter((entry) => entry.state === ADDED && !entry.settling)
        if (found === undefined || tasks.length === 0) return
        for (const entry of tasks) entry.touched = now
        if (found.state === 'missing') {
          this.#packs.delete(id)
          for (const entry of tasks) this.#lost(entry)
        } else if (found.state === 'completed') this.#onCompleted(id, found.returnvalue)
        else if (found.state === 'failed') this.#onFailed(id, found.reason)
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
    this.#addAgain([entry])
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
