/**
 * The engine under every executor and pool: a set of units (started through the backend seam,
 * running the pool-worker service), a task queue, and the dispatch loop. Tasks go out in
 * batches sized from how long tasks take (many tiny tasks share one message, slow ones go one by
 * one) and from their bytes (a big payload goes alone), with at most two batches in flight per
 * worker; tasks of an async function go by the number in flight instead (up to
 * `concurrentTasksPerWorker` a worker), since a worker runs them concurrently.
 */
import { RuntimeError } from '../errors.js'
import { encodeShared } from '../internal/shared-codec.js'
import { onAbort } from '../internal/abort.js'
import { context } from '../internal/context.js'
import { nextNumber, processIdentity } from '../internal/process-shared.js'
import { deserializeThrown, inArrivalOrder } from '../internal/error-rebuild.js'
import type { SerializedThrown } from '../internal/error-transport.js'
import type { TargetSpec } from '../internal/target-ref.js'
import { loaderHooks } from '../internal/loader-hooks.js'
import { BOOTSTRAP_MESSAGE } from '../internal/messages.js'
import { setLongTimeout } from '../internal/timeout.js'
import type { UnitInit, WireMessage, Writable } from '../internal/wire.js'
import { POOL_WORKER_MODULE, isUncaught } from '../internal/wire.js'
import { MaybeEncodingError, TimeoutError } from './errors.js'
import { BROKEN_MESSAGES, CONCURRENT_TASKS_PER_WORKER, unsendableError, type PoolFlavor, type WorkerPoolOptions } from './flavor.js'
import { FunctionRegistry, type FnEntry } from './function-registry.js'
import { BATCH_BYTES, argumentDepth, offerAgeWord, payloadBytes, type DoneMessage, type InitFailedMessage, type PoolWorkerData, type RunMessage, type TaskMode } from './protocol.js'
import { OFFERED, QUEUED, RUNNING, SETTLED, Task, TaskQueue } from './task.js'
import { HOLD_FN_MS } from './reply-hold.js'
import { Slot, type Batch } from './slot.js'
import type { Offer } from './future.js'
import { BIG_PAYLOAD, bigPayload } from '../internal/big-blocks.js'
import { dropTaskArgs, encodeTaskArgs, releaseTaskArgs, taskPayloads } from './task-args.js'

/** A batch should keep a worker busy about this long; longer batches hurt balance. */
const TARGET_BATCH_MS = 2
const MAX_BATCH = 1024
/** Past this many bytes of arguments a task is not offered (#offer): each of its targets gets a copy. */
const OFFER_BYTES = 16 * 1024
/** How many busy workers an offer goes to (#offer): the one expected to claim it and its neighbours. */
const OFFER_TARGETS = 3
/**
 * A `Pool` breaks when this many workers in a row fail to start by themselves (their initializer
 * threw, or they exited before they were ready) with no worker becoming ready in between.
 * Workers killed from outside (by a signal) do not count: that is no reason to give up.
 */
const MAX_START_FAILURES = 5

/** A task offered to the busy workers (WorkerPool #offer). */
interface Offered {
  readonly batch: Batch
  /** Its word in the offer words. */
  readonly word: number
  /** What the word holds until a worker claims it or the pool takes it back. */
  readonly claim: number
}

/** A synchronous function measured at 1 ms or more: its tasks are offered, not sent ahead (WorkerPool #offer). */
function isLong(fn: FnEntry): boolean {
  return fn.avgMs !== undefined && fn.avgMs >= 1 && fn.async !== true
}

/** Measurements in a row within a quarter of the average (FnEntry.steady) before long tasks go ahead (WorkerPool #sendAhead). */
const STEADY_RUNS = 4

/** Where batch `id` is in `batches`, or -1 (no closure: a reply per call looks it up). */
function batchIndex(batches: readonly Batch[], id: number): number {
  for (let i = 0; i < batches.length; i++) if ((batches[i] as Batch).id === id) return i
  return -1
}

/** The errors a worker's message carries. */
function errorsIn(message: WireMessage): readonly SerializedThrown[] | undefined {
  if (message.t === 'p.done') return (message as DoneMessage).e?.map((failure) => failure[1])
  if (message.t === 'p.init-failed') return [(message as InitFailedMessage).e]
  return isUncaught(message) ? [message.error] : undefined
}

export class WorkerPool {
  readonly functions = new FunctionRegistry()
  readonly #flavor: PoolFlavor
  readonly #options: WorkerPoolOptions
  /** Tasks in flight per worker for async functions. */
  readonly #concurrency: number
  #batchIds = 0
  readonly #queue = new TaskQueue()
  readonly #slots = new Set<Slot>()
  readonly #exits = new Set<Promise<void>>()
  #spawned = 0
  #inflight = 0
  #pumpScheduled = false
  /** The initializer's arguments carry primitives: async tasks then run one at a time per worker. */
  #initHandles = false
  #broken: Error | undefined
  #closed = false
  #busy = false
  /** Workers in a row that failed to start by themselves (see MAX_START_FAILURES). */
  #startFailures = 0
  #idleWaiters: (() => void)[] = []
  readonly #initializer: FnEntry | undefined
  /**
   * Offers (worker threads, #offer): one word per offer that may be out at once, shared with every
   * worker; a word holds its offer's claim until a worker claims it (minus the worker's number)
   * or the pool takes it back (0). Then as many words more, the offers' ages: word `maxWorkers + k`
   * holds the age of the offer in word `k` (#offerAge).
   */
  readonly #offerWords: Int32Array | undefined
  /**
   * Long tasks of a steady function may be sent ahead to a busy worker (#sendAhead): workers that
   * share no memory with the pool (processes: no offers), in an executor (a crash breaks it; a
   * `Pool` replaces the worker, and a task sent ahead to it would fail without having started).
   */
  readonly #ahead: boolean
  /** When each worker's current batch began is kept (Slot.since): for offers or sending ahead. */
  readonly #timed: boolean
  /** The words of #offerWords not in use. */
  readonly #freeWords: number[] = []
  /** Tasks offered and not known to be claimed, oldest first. */
  #offers: Offered[] = []
  /**
   * Offers are made while no more workers than this are busy: the CPUs this process may use
   * (`CONC_OFFERS=1`: whatever the count). With more busy workers than CPUs, a worker that waits
   * for the program leaves its CPU to another worker, and the offers' copies, and their taking
   * back for a worker that finished before the one expected, only cost: on 2 CPUs, 1 ms tasks
   * took 1.07× the time with offers on 8 threads (1.05× and 1.5× on 8 and 32 when every busy
   * worker got a copy; bench/FINDINGS-pools.md, round 13).
   */
  #offerBusy = 0
  /**
   * The age of the last offer (modulo 2^31): tasks are offered in the order they were queued
   * (taken back, they return to the head of the queue in their order), and a worker claims an
   * offer only if no older one is out (pool-worker.ts).
   */
  #offerAge = 0
  /** Live workers by their number (what a worker that claims an offer writes, negated). */
  readonly #numbered = new Map<number, Slot>()

  constructor(flavor: PoolFlavor, options: WorkerPoolOptions) {
    if (context.bootstrapping) throw new RuntimeError(BOOTSTRAP_MESSAGE, { code: 'ERR_CONC_BOOTSTRAP' })
    this.#flavor = flavor
    this.#options = options
    this.#concurrency = options.concurrentTasksPerWorker ?? CONCURRENT_TASKS_PER_WORKER
    const init = options.initializer
    this.#initializer = init === undefined || init === null ? undefined : this.functions.get(init, 'initializer')
    // Not with maxTasksPerChild: a worker could claim past its count.
    const offers = process.env.CONC_OFFERS
    if (flavor.backend.sharesMemory === true && options.maxTasksPerChild == null && offers !== '0') {
      this.#offerWords = new Int32Array(new SharedArrayBuffer(8 * options.maxWorkers))
      for (let i = options.maxWorkers - 1; i >= 0; i--) this.#freeWords.push(i)
      this.#offerBusy = offers === '1' ? Infinity : process.getBuiltinModule('node:os').availableParallelism() || 1
    }
    this.#ahead = flavor.backend.sharesMemory !== true && options.onCrash === 'break'
    this.#timed = this.#offerWords !== undefined || this.#ahead
    if (options.eager) for (let i = 0; i < options.maxWorkers; i++) this.#spawn()
  }

  /** Why the pool cannot take tasks, once broken. */
  get broken(): Error | undefined {
    return this.#broken
  }

  /** Ids (thread ids / pids) of the live workers. */
  get workerIds(): number[] {
    return [...this.#slots].map((slot) => slot.id)
  }

  push(task: Task): void {
    if (this.#broken !== undefined) throw this.#broken
    encodeTaskArgs(task, this.#flavor.backend.kind) // primitives in the arguments travel as handles
    const extra = task.extra
    const signal = extra?.signal
    if (extra !== undefined && signal !== undefined) {
      if (signal.aborted) {
        this.#withdraw(task, signal.reason)
        return
      }
      extra.offAbort = onAbort(signal, () => this.#abort(task))
    }
    this.#queue.push(task)
    if (!this.#busy) this.#setBusy(true)
    // The only task queued: sent now if a worker is idle, without a microtask before the message
    // (one awaited task at a time); the tasks of a burst that follow find no idle worker and go
    // out in batches from the microtask below. Not to a busy worker: async tasks would go one
    // message each (a worker takes up to #concurrency of them), which costs a process pool more
    // than the tasks themselves.
    if (this.#queue.size === 1 && !this.#pumpScheduled && this.#someIdle()) {
      this.#pump()
      if (this.#queue.peek() === undefined) return
    }
    this.#schedulePump()
  }

  /** A #pump in a microtask (once, however many ask before it runs). */
  #schedulePump(): void {
    if (this.#pumpScheduled) return
    this.#pumpScheduled = true
    queueMicrotask(() => {
      this.#pumpScheduled = false
      this.#pump()
    })
  }

  /** Some worker is idle, or none is started yet. */
  #someIdle(): boolean {
    for (const slot of this.#slots) if (slot.idle) return true
    return this.#slots.size === 0
  }

  /** Withdraws every queued task (`shutdown({ cancelFutures: true })`). */
  cancelQueued(reason: unknown): void {
    // What was offered to the workers and not claimed has not started either.
    for (const task of this.#takeBackOffers()) this.#withdraw(task, reason)
    for (const task of this.#queue.takeAll()) this.#withdraw(task, reason)
    this.#checkIdle()
  }

  /** Resolves when nothing is queued or running (or the pool broke). */
  drain(): Promise<void> {
    if (this.#idle()) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Ends every worker once idle work is done; no new workers start. Resolves when all exited. */
  async stop(): Promise<void> {
    this.#closed = true
    for (const slot of this.#slots) slot.end(false)
    await Promise.all(this.#exits)
  }

  /** Fails everything queued or running with `reason` and ends the workers now. */
  async terminate(reason: () => unknown): Promise<void> {
    this.#closed = true
    for (const task of this.#takeBackOffers()) this.#settleError(task, reason())
    for (const task of this.#queue.takeAll()) this.#settleError(task, reason())
    for (const slot of this.#slots) {
      for (const batch of slot.batches) for (const task of batch.tasks) this.#settleError(task, reason())
      slot.batches.length = 0
      slot.inflight = 0
      slot.end(true)
    }
    this.#inflight = 0
    this.#checkIdle()
    await Promise.all(this.#exits)
  }

  /**
   * Ends every worker now (SIGTERM, or SIGKILL with `kill`): the tasks they run fail with the
   * pool's broken error, and the pool is broken (Python 3.14's `terminate_workers()`). Resolves
   * once they have exited.
   */
  async endWorkers(kill: boolean): Promise<void> {
    this.#closed = true
    this.#broken ??= this.#brokenError('crashed', undefined)
    for (const task of this.#takeBackOffers()) this.#settleError(task, this.#brokenError('running', undefined))
    for (const task of this.#queue.takeAll()) this.#settleError(task, this.#brokenError('running', undefined))
    for (const slot of this.#slots) {
      for (const batch of slot.batches) for (const task of batch.tasks) this.#settleError(task, this.#brokenError('running', undefined))
      slot.batches.length = 0
      slot.inflight = 0
      if (kill) slot.end(true)
      else slot.terminate()
    }
    this.#inflight = 0
    this.#checkIdle()
    await Promise.all(this.#exits)
  }

  #spawn(): void {
    const index = ++this.#spawned
    const kind = this.#flavor.backend.kind
    // Numbered as every unit of this process is (Python's pool workers are its processes and threads).
    const identity = kind === 'process' ? [...processIdentity(), nextNumber(kind)] : [nextNumber(kind)]
    // Primitives in initargs reach each worker as handles to the same objects (issue 4).
    const shared = encodeShared(this.#options.initargs, this.#flavor.backend.kind)
    this.#initHandles = shared.handles
    const data: PoolWorkerData = {
      initializer: this.#initializer?.spec,
      c: this.#concurrency,
      initargs: shared.value,
      ...(shared.handles ? { h: 1 } : {}),
      ...(this.#offerWords !== undefined ? { o: this.#offerWords, w: index } : {}),
    }
    const init: UnitInit = {
      $conc: 1,
      kind: this.#flavor.backend.kind,
      name: this.#options.workerName(index, identity),
      daemon: false,
      identity,
      parent: { pid: process.pid, name: context.unit?.name ?? (this.#flavor.backend.kind === 'thread' ? 'MainThread' : 'MainProcess') },
      target: undefined,
      args: [],
      subclass: undefined,
      service: { module: POOL_WORKER_MODULE, exportName: 'poolWorker', data },
      loaderHooks: loaderHooks(this.#flavor.backend.kind),
    }
    const handle = this.#flavor.backend.spawn(init, { daemon: false })
    shared.attach(handle)
    const slot = new Slot(handle, this.#options.maxTasksPerChild ?? Infinity, this.#aloneCall)
    if (!this.#busy) slot.keepAlive(false)
    this.#slots.add(slot)
    if (this.#offerWords !== undefined) this.#numbered.set(index, slot)
    // A message whose errors need their classes imported waits for them, and later events with it.
    const inOrder = inArrivalOrder()
    handle.onMessage((message) => inOrder(errorsIn(message), this.#deliver, slot, message))
    const exited = new Promise<void>((resolve) =>
      handle.onExit((exit) =>
        inOrder(undefined, () => {
          this.#exits.delete(exited)
          this.#onExit(slot, exit.signal === null)
          this.#numbered.delete(index)
          resolve()
        }),
      ),
    )
    this.#exits.add(exited)
  }

  /**
   * Starts up to `need` workers within `maxWorkers`. False when the system refused a unit and no
   * worker is left: the pool is then broken, since nothing may wait for a worker that will never
   * come.
   */
  #spawnUpTo(need: number): boolean {
    try {
      while (need-- > 0 && this.#slots.size < this.#options.maxWorkers) this.#spawn()
    } catch (error) {
      // Nothing started: the reason is this error (initargs that cannot travel, say), not a crash.
      if (this.#slots.size === 0) {
        this.#break('spawn', error)
        return false
      }
    }
    return true
  }

  #pump(): void {
    if (this.#broken !== undefined) return
    let idleReady = 0
    let starting = 0
    this.#syncOffers()
    for (const slot of this.#slots) {
      if (!slot.ready) starting++
      else if (slot.idle) idleReady++
    }
    // A worker that is free runs what was offered before anything queued after it: the offers not
    // claimed come back to the head of the queue, and are offered again if no worker is free.
    // All of them: one left out would be claimed by a worker whose task ends before the ones taken
    // back are offered again, ahead of them (a review measured tasks started 30 ms out of order),
    // and the free worker must hold none it could claim after it is sent a batch.
    if (idleReady > 0 && this.#offers.length > 0) this.#requeue(this.#takeBackOffers())
    // Offers wait for a worker as queued tasks do: more workers may start for them.
    if (!this.#closed && !this.#spawnUpTo(this.#queue.size + this.#offers.length - idleReady - starting)) return
    const head = this.#queue.peek()
    const next = head?.fn
    // Async tasks given primitives (or a pool whose initializer was) run alone in their worker
    // (pool-worker.ts): they are sent as synchronous tasks are, not many to one worker.
    if (next?.async === true && head?.shared === undefined && !this.#initHandles) {
      // Async tasks: a worker runs up to #concurrency at once; keep that many on each, unless
      // their synchronous part is long (an async function that computes): then as sync tasks.
      const cpu = next.avgMs ?? 0
      for (const slot of this.#slots) {
        while (
          this.#queue.size > 0 &&
          slot.ready &&
          slot.available &&
          slot.inflight < this.#concurrency &&
          (slot.batches.length < 2 || slot.inflight * cpu < 2 * TARGET_BATCH_MS)
        ) {
          if (!this.#dispatch(slot)) break
        }
      }
      this.#checkIdle()
      return
    }
    // Idle workers first; then a second batch for busy ones, while the next task is of a function
    // measured under 1 ms. A longer one goes only to a worker with nothing else to run, so that it
    // does not wait behind another task while a worker runs dry, and stays cancellable until then
    // (docs/executors.md); on worker processes, a steady function's long tasks go ahead while
    // many are queued (#sendAhead). Asked of each batch: the one before may have taken the short
    // tasks.
    for (const slot of this.#slots) {
      if (this.#queue.size === 0) break
      if (slot.ready && slot.available && slot.batches.length === 0) this.#dispatch(slot)
    }
    for (const slot of this.#slots) {
      const head = this.#liveHead()
      const avg = head?.fn.avgMs
      if (head === undefined || avg === undefined || (avg >= 1 && !this.#sendAhead(head))) break
      if (slot.ready && slot.available && slot.batches.length === 1 && (avg < 1 || this.#runsOnTime(slot, head))) this.#dispatch(slot)
    }
    if (this.#offerWords !== undefined && !this.#offersScheduled && this.#offers.length < this.#slots.size && this.#freeWords.length > 0) {
      const head = this.#liveHead()
      if (head !== undefined && this.#offerable(head) && this.#busyWorkers() <= this.#offerBusy) {
        // Once the replies that have come are read (the program reads what its workers sent in
        // one go, then runs its immediates): offers made on a reply while the next, from a worker
        // now free, is still unread would only be taken back for that worker.
        this.#offersScheduled = true
        setImmediate(this.#makeOffers)
      }
    }
    this.#checkIdle()
  }

  /**
   * Whether a long task (`head`, of a function measured at 1 ms or more) goes to a busy worker as
   * its next batch, where there are no offers (worker processes: no memory shared with the pool
   * in which to claim one). Only for a function whose last STEADY_RUNS calls each took about its
   * average time (FnEntry.steady), and while at least twice as many tasks are queued as workers
   * are ready: then the task waits there about as long as it would have waited here, and the
   * worker goes on without a round trip to the program (bench:pools (2): 25 sleeps a round of 64
   * prime counts on 2 worker processes, against poolifier's 2, which sends every task to a worker
   * at once). A function whose calls vary keeps its tasks here, pending and cancellable, for the
   * first worker free (a long call committed behind another would wait while a worker runs dry).
   * Sent ahead, a task counts as running, as the calls Python's `ProcessPoolExecutor` queues for
   * its processes (docs/executors.md).
   */
  #sendAhead(head: Task): boolean {
    if (!this.#ahead || head.fn.async || head.fn.steady < STEADY_RUNS || head.exclusive) return false
    // Every worker, also those still starting: they will take queued tasks first.
    return this.#queue.liveAtLeast(2 * this.#slots.size)
  }

  /**
   * Whether `slot` runs one batch, of `head`'s (steady) function, and has not yet taken a quarter
   * longer than measured: a task sent ahead does not go behind another function's call, nor
   * behind a call already running long.
   */
  #runsOnTime(slot: Slot, head: Task): boolean {
    const batch = slot.batches[0]
    return batch !== undefined && batch.tasks[0]?.fn === head.fn && performance.now() - slot.since <= batch.ms * 1.25
  }

  /** How many workers have something to run. */
  #busyWorkers(): number {
    let busy = 0
    for (const slot of this.#slots) if (slot.batches.length > 0) busy++
    return busy
  }

  /** #makeOffers is scheduled (an immediate). */
  #offersScheduled = false
  /** Makes offers, up to one out per ready worker: the offers #pump scheduled. */
  readonly #makeOffers = (): void => {
    this.#offersScheduled = false
    if (this.#broken !== undefined) return
    this.#syncOffers()
    let ready = 0
    for (const slot of this.#slots) {
      // A worker is free: #pump gives it the oldest, and schedules offers again.
      if (slot.idle) return this.#pump()
      if (slot.ready) ready++
    }
    if (this.#offers.length >= ready || this.#freeWords.length === 0 || this.#busyWorkers() > this.#offerBusy) return
    const ranked = this.#byExpectedEnd()
    while (this.#offers.length < ready && this.#freeWords.length > 0 && this.#offer(ranked)) {}
  }

  /**
   * How many tasks the next batch for `slot` takes: enough to keep the worker busy about
   * TARGET_BATCH_MS at the measured cost of the next task's function (1 while it is unknown),
   * and never more than a quarter of each ready worker's share of the queue, so the tail stays
   * balanced when costs vary.
   */
  #batchSize(slot: Slot): number {
    const avg = this.#liveHead()?.fn.avgMs
    let n = avg === undefined ? 1 : Math.min(MAX_BATCH, Math.floor(TARGET_BATCH_MS / Math.max(avg, 1e-4)))
    let ready = 0
    for (const s of this.#slots) if (s.ready) ready++
    n = Math.min(n, Math.ceil(this.#queue.size / (4 * Math.max(1, ready))), slot.remaining)
    if (this.#queue.peek()?.fn.async === true) n = Math.min(n, this.#concurrency - slot.inflight)
    return Math.max(1, n)
  }

  /** The first task still queued: cancelled ones are left in the queue, and dropped here. */
  #liveHead(): Task | undefined {
    let task = this.#queue.peek()
    while (task !== undefined && task.state !== QUEUED) {
      this.#queue.shift()
      task = this.#queue.peek()
    }
    return task
  }

  /** Sends the next batch to `slot`; false when nothing could be sent. */
  #dispatch(slot: Slot): boolean {
    const n = this.#batchSize(slot)
    const batch: Task[] = []
    let bytes = 0
    let big = false
    /** What the batch's tasks cost, measured (see below). */
    let ms = 0
    for (let task = this.#liveHead(); task !== undefined && batch.length < n; task = this.#liveHead()) {
      // The batch is sized for its first task's function. A task of another function joins it
      // only if that function is measured under 1 ms and the batch stays within TARGET_BATCH_MS;
      // else it waits for a batch of its own (a long one, for a worker with nothing else to run).
      const avg = task.fn.avgMs
      if (batch.length > 0 && task.fn !== batch[0]?.fn && (avg === undefined || avg >= 1 || ms + avg > TARGET_BATCH_MS)) break
      ms += avg ?? 0
      if (task.exclusive && (batch.length > 0 || slot.batches.length > 0)) break
      // Big payloads go alone, or with a few others up to BATCH_BYTES (moved buffers cost nothing).
      const size = this.#copiedBytes(task)
      bytes += size
      if (bytes > BATCH_BYTES && batch.length > 0) break
      if (size >= BIG_PAYLOAD) big = true
      this.#queue.shift()
      if (!task.sink.start(task)) {
        this.#drop(task)
        continue
      }
      task.state = RUNNING
      batch.push(task)
      const extra = task.extra
      if (extra !== undefined && task.exclusive) {
        extra.slot = slot
        slot.exclusive = true
        if (extra.timeoutMs !== undefined) extra.timer = setLongTimeout(() => this.#expire(task), extra.timeoutMs)
        break
      }
    }
    if (batch.length === 0) return false
    if (big) bigPayload(BIG_PAYLOAD)
    this.#send(slot, batch, big)
    return true
  }

  /**
   * Offers the next queued task to busy workers; false when it cannot be (#offerable), or
   * nothing was left to offer. `ranked`: the busy workers that can take it, the one expected to
   * be free first first (#byExpectedEnd).
   *
   * A task measured at 1 ms or more is never committed to a busy worker: it would wait there
   * while another worker runs dry, and could no longer be cancelled. Without more, a worker would
   * then wait a round trip to the program between two such tasks. On worker threads the pool
   * *offers* it instead: the task goes to busy workers with a claim, written first into a word
   * shared with all of them (#offerWords); a worker runs it only if, when it is next to start
   * it, it swaps that word from the claim to minus its number, and no older offer is still out
   * (pool-worker.ts: then it runs nothing and the pool sends it the oldest); the others drop
   * their copy. Until a worker has, the pool can take it back with the same swap (to 0): for a
   * worker that is free first (#pump), `cancel()` (the future asks the offer: future.ts),
   * `cancelFutures`, or the end of the pool. Whichever swap succeeds decides, so `cancel()`
   * keeps Python's answer and nothing runs twice or is lost: a task offered is, as a call in
   * Python's shared call queue is, nobody's until a worker takes it, and the first to be free
   * runs the oldest. Up to one offer out per ready worker.
   *
   * An offer goes to OFFER_TARGETS busy workers, not to all: each copy costs the program a
   * message and its worker a read, and every busy worker for every task made a pool of 32
   * threads 1.5× slower (bench/FINDINGS-pools.md, round 13). The n-th offer out is expected to
   * be claimed by the n-th worker to be free, so it goes to that one and its two neighbours in
   * `ranked`, which a worker that ends a little sooner or later than expected still holds.
   */
  #offer(ranked: readonly Slot[]): boolean {
    const words = this.#offerWords as Int32Array
    const task = this.#liveHead()
    if (task === undefined || !this.#offerable(task) || ranked.length === 0) return false
    const age = (this.#offerAge = (this.#offerAge % 0x7fffffff) + 1)
    const from = Math.max(0, Math.min(this.#offers.length - 1, ranked.length - OFFER_TARGETS))
    const targets = ranked.slice(from, from + OFFER_TARGETS)
    this.#queue.shift()
    const id = ++this.#batchIds
    const offer: Offered = { batch: { id, tasks: [task], left: 1, ms: task.fn.avgMs ?? 0 }, word: this.#freeWords.pop() as number, claim: (id % 0x7fffffff) + 1 }
    const asked: Offer = { revoke: () => this.#cancelOffer(offer), claimed: () => this.#offerClaimed(offer) }
    if (!(task.sink.offer?.(task, asked) ?? task.sink.start(task))) {
      this.#freeWords.push(offer.word)
      this.#drop(task)
      return true
    }
    task.state = OFFERED
    const fn = task.fn
    const message: RunMessage = { t: 'p.run', b: id, f: fn.id, m: task.mode, a: taskPayloads(offer.batch.tasks, (targets[0] as Slot).handle).a, c: offer.claim, k: offer.word }
    // A worker that does not know the function gets its definition with the offer: it keeps it
    // even if another worker claims the task (pool-worker.ts resolves it before the claim).
    const withDef: RunMessage = { ...message, d: [[fn.id, fn.spec]] }
    // Before the messages: a worker may claim it as soon as it reads it. The age first: a worker
    // that finds the claim reads it.
    Atomics.store(words, offerAgeWord(words, offer.word), age)
    Atomics.store(words, offer.word, offer.claim)
    let sent = 0
    for (const slot of targets) {
      try {
        if (slot.known.has(fn.id)) slot.handle.send(message)
        else {
          slot.handle.send(withDef)
          slot.known.add(fn.id)
        }
        sent++
      } catch (error) {
        // The task's arguments cannot travel: it fails as a batch would (#unsendable).
        if (sent > 0) continue
        Atomics.store(words, offer.word, 0)
        this.#freeWords.push(offer.word)
        this.#settleError(task, unsendableError(this.#flavor.backend, task, this.#flavor.backend.whyNotSendable(task.payload) ?? String(error), error))
        return true
      }
    }
    this.#offers.push(offer)
    this.#inflight++
    return true
  }

  /**
   * Whether `task` may be offered (#offer): a synchronous function measured at 1 ms or more; not
   * a task with primitives (they go to one worker), with arguments past OFFER_BYTES (each busy
   * worker gets a copy), with a signal, a timeout or a transfer list (it runs alone, or moves its
   * buffers once), or of an async function (its tasks overlap in a worker instead).
   */
  #offerable(task: Task): boolean {
    return isLong(task.fn) && task.extra === undefined && task.shared === undefined && this.#copiedBytes(task) < OFFER_BYTES
  }

  /**
   * The busy workers that can take a batch, the one expected to be free first first: expected
   * when its first batch began (`Slot.since`) plus what its batches were expected to take, or
   * now for one already past that.
   */
  #byExpectedEnd(): Slot[] {
    const now = performance.now()
    const busy: [Slot, number][] = []
    for (const slot of this.#slots) {
      if (!slot.ready || !slot.available || slot.batches.length === 0) continue
      let end = slot.since
      for (const batch of slot.batches) end += batch.ms
      busy.push([slot, Math.max(now, end)])
    }
    busy.sort((a, b) => a[1] - b[1])
    return busy.map(([slot]) => slot)
  }

  /** Moves the offers that workers have claimed to those workers' batches: they run. */
  #syncOffers(): void {
    const words = this.#offerWords
    if (words === undefined || this.#offers.length === 0) return
    let claimed: [Offered, number][] | undefined
    const live: Offered[] = []
    for (const offer of this.#offers) {
      const value = Atomics.load(words, offer.word)
      if (value === offer.claim) live.push(offer)
      else (claimed ??= []).push([offer, -value])
    }
    if (claimed === undefined) return
    // #offers first: what #claimed calls (a future's callbacks) may sync again.
    this.#offers = live
    for (const [offer, number] of claimed) this.#claimed(offer, number)
  }

  /** Worker `number` claimed `offer` (already out of #offers). */
  #claimed(offer: Offered, number: number): void {
    Atomics.store(this.#offerWords as Int32Array, offer.word, 0)
    this.#freeWords.push(offer.word)
    const batch = offer.batch
    for (const task of batch.tasks) {
      task.state = RUNNING
      task.sink.claimed?.(task)
    }
    const slot = this.#numbered.get(number)
    if (slot === undefined) {
      // Claimed by a worker that has ended since (its exit syncs first, so not expected): lost with it.
      this.#inflight -= batch.tasks.length
      for (const task of batch.tasks) this.#settleError(task, this.#brokenError('running', undefined))
      return
    }
    if (slot.batches.length === 0) slot.since = performance.now()
    slot.batches.push(batch)
    slot.inflight += batch.tasks.length
    slot.remaining -= batch.tasks.length
  }

  /** Whether a worker has claimed `offer` (what its future's `running()` asks). */
  #offerClaimed(offer: Offered): boolean {
    if (!this.#offers.includes(offer)) return true
    this.#syncOffers()
    return !this.#offers.includes(offer)
  }

  /** Takes back `offer` to cancel it: false when a worker has claimed it (it runs). */
  #cancelOffer(offer: Offered): boolean {
    const at = this.#offers.indexOf(offer)
    if (at < 0 || !this.#revoke(offer)) {
      this.#syncOffers()
      return false
    }
    this.#offers.splice(at, 1)
    this.#inflight -= offer.batch.tasks.length
    for (const task of offer.batch.tasks) this.#drop(task)
    this.#schedulePump()
    this.#checkIdle()
    return true
  }

  /** Swaps `offer`'s word from its claim to 0 (the workers' copies are dropped); false when a worker claimed it first. */
  #revoke(offer: Offered): boolean {
    const words = this.#offerWords as Int32Array
    if (Atomics.compareExchange(words, offer.word, offer.claim, 0) !== offer.claim) return false
    this.#freeWords.push(offer.word)
    return true
  }

  /** Takes back every offer no worker has claimed; their tasks, oldest first, queued again (for the caller to put back or withdraw). */
  #takeBackOffers(): Task[] {
    const back: Task[] = []
    if (this.#offers.length === 0) return back
    const offers = this.#offers
    const kept: Offered[] = []
    for (const offer of offers) {
      if (!this.#revoke(offer)) {
        kept.push(offer)
        continue
      }
      this.#inflight -= offer.batch.tasks.length
      for (const task of offer.batch.tasks) {
        task.state = QUEUED
        task.sink.unoffer?.(task)
        back.push(task)
      }
    }
    this.#offers = kept
    // Claimed meanwhile: they run.
    this.#syncOffers()
    return back
  }

  /** Puts `tasks`, in their order, back at the head of the queue. */
  #requeue(tasks: readonly Task[]): void {
    for (let i = tasks.length - 1; i >= 0; i--) this.#queue.unshift(tasks[i] as Task)
  }

  /** The bytes of `task`'s payload that its message copies (a buffer it moves is not copied: threads). */
  #copiedBytes(task: Task): number {
    return payloadBytes(task.payload, this.#flavor.backend.kind === 'thread' ? task.extra?.transfer : undefined, argumentDepth(task.mode))
  }

  /**
   * `big`: the batch carries a big payload; the first one a worker gets tells it so
   * (internal/big-blocks.ts).
   */
  #send(slot: Slot, batch: Task[], big = false): void {
    const tellBig = big && !slot.toldBig
    const first = batch[0] as Task
    let sameFn = true
    let sameMode = true
    let transfer: unknown[] | undefined
    /** What the batch is expected to take (Slot.since). */
    let ms = 0
    for (const task of batch) {
      if (task.fn !== first.fn) sameFn = false
      if (task.mode !== first.mode) sameMode = false
      ms += task.fn.avgMs ?? 0
      const list = task.extra?.transfer
      if (list !== undefined) (transfer ??= []).push(...list)
    }
    let defs: (readonly [number, TargetSpec])[] | undefined
    const count = sameFn ? 1 : batch.length
    for (let i = 0; i < count; i++) {
      const fn = (batch[i] as Task).fn
      if (!slot.known.has(fn.id)) {
        slot.known.add(fn.id)
        ;(defs ??= []).push([fn.id, fn.spec])
      }
    }
    const id = ++this.#batchIds
    // Nothing else queued or running: the worker may spin for the next call (idle-spin.ts).
    const solo = this.#inflight === 0 && this.#queue.size === 0
    const payloads = taskPayloads(batch, slot.handle)
    // Built key by key, not from spreads: a call of one awaited task at a time sends one of these
    // per call, and spreads allocated a throwaway object per optional key.
    const message: Writable<RunMessage> = {
      t: 'p.run',
      b: id,
      f: sameFn ? first.fn.id : batch.map((task) => task.fn.id),
      m: sameMode ? first.mode : batch.map((task) => task.mode),
      a: payloads.a,
    }
    if (payloads.h !== undefined) message.h = 1
    if (defs !== undefined) message.d = defs
    if (tellBig) message.g = 1
    if (solo) message.s = 1
    // One short call alone, which the worker can run at once (no function to import, no
    // primitives to rebuild): the program watches for its reply before its event loop sleeps
    // (reply-hold.ts; threads). Not a function that awaits: its measured time leaves out the awaits.
    const avg = first.fn.avgMs
    const hold = solo && batch.length === 1 && defs === undefined && payloads.h === undefined && avg !== undefined && avg < HOLD_FN_MS && !first.fn.async ? slot.hold : undefined
    const posted = hold?.count() ?? 0
    // Long, where offers may be made while it runs (this worker busy too).
    if (this.#offerWords !== undefined && isLong(first.fn) && this.#busyWorkers() + (slot.batches.length === 0 ? 1 : 0) <= this.#offerBusy) message.l = 1
    try {
      slot.handle.send(message, transfer as never)
    } catch (error) {
      for (const [id] of defs ?? []) slot.known.delete(id)
      releaseTaskArgs(batch, slot.handle)
      this.#unsendable(slot, batch, error)
      return
    }
    if (tellBig) slot.toldBig = true
    hold?.arm(posted)
    // Offers rank workers by it (#byExpectedEnd: threads); sending ahead asks it (#runsOnTime: processes).
    if (this.#timed && slot.batches.length === 0) slot.since = performance.now()
    slot.batches.push({ id, tasks: batch, left: batch.length, ms })
    slot.inflight += batch.length
    slot.remaining -= batch.length
    this.#inflight += batch.length
  }

  /** A batch could not be sent: fail the tasks whose arguments cannot travel, resend the rest. */
  #unsendable(slot: Slot, batch: Task[], error: unknown): void {
    const good: Task[] = []
    const backend = this.#flavor.backend
    for (const task of batch) {
      const why = backend.whyNotSendable(task.payload)
      if (why === undefined) {
        good.push(task)
        continue
      }
      const failure = unsendableError(backend, task, why, error)
      if (task.exclusive) slot.exclusive = false
      this.#settleError(task, failure)
    }
    if (good.length === batch.length) {
      // Not an argument the backend refuses (a transfer list the channel refuses, two tasks moving
      // the same buffer, a value that fails only when sent). A gone worker does not make sends
      // throw: threads drop the message, processes report it to the send's callback.
      if (batch.length > 1) {
        // Each task goes alone, so that only one whose own message fails fails. (A batch of
        // several holds no task that must run alone.)
        for (const task of batch) this.#send(slot, [task], this.#copiedBytes(task) >= BIG_PAYLOAD)
        return
      }
      // The task fails with the error, and the worker is free for the tasks behind it.
      for (const task of good) {
        if (task.exclusive) slot.exclusive = false
        this.#settleError(task, error)
      }
      this.#schedulePump()
      return
    }
    if (good.length > 0) this.#send(slot, good, good.some((task) => this.#copiedBytes(task) >= BIG_PAYLOAD))
    // The worker may have nothing to do now: the tasks queued behind go on (none did, and the
    // pool stopped until the next submit), and a pool left with nothing becomes idle.
    else this.#schedulePump()
  }

  /** Whether the pool's only work is one call, running (a slot's hold for its reply: reply-hold.ts). */
  readonly #aloneCall = (): boolean => this.#inflight === 1 && this.#queue.size === 0

  /** {@link #onMessage}, made once: a worker's messages are handed over without a closure each. */
  readonly #deliver = (slot: Slot, message: WireMessage): void => this.#onMessage(slot, message)

  #onMessage(slot: Slot, message: WireMessage): void {
    switch (message.t) {
      case 'p.done':
        this.#onDone(slot, message as DoneMessage)
        return
      case 'p.ready':
        slot.ready = true
        this.#startFailures = 0
        this.#pump()
        return
      case 'p.stopped':
        slot.stopped()
        return
      case 'p.init-failed':
        slot.uncaught = deserializeThrown((message as InitFailedMessage).e)
        if (this.#options.onCrash === 'break') return this.#break('initializer', slot.uncaught)
        // The worker ends by itself (exit code 0): expected, not a crash. Killing it would be a
        // death for the primitives in its initargs (a Barrier would break).
        slot.end(false)
        this.#startFailed('initializer', slot.uncaught)
        return
      default:
        if (isUncaught(message)) slot.uncaught = deserializeThrown(message.error)
    }
  }

  #onDone(slot: Slot, message: DoneMessage): void {
    const batches = slot.batches
    let at = batchIndex(batches, message.b)
    if (at < 0 && this.#offers.length > 0) {
      // The answer to an offer this worker claimed: it joins its batches.
      this.#syncOffers()
      at = batchIndex(batches, message.b)
    }
    const batch = batches[at]
    if (batch === undefined) return
    const values = message.v
    const n = values.length
    const o = message.o ?? 0
    batch.left -= n
    if (batch.left <= 0) {
      batches.splice(at, 1)
      // The worker goes on with its next batch now, if it has one (Slot.since).
      if (this.#timed && batches.length > 0) slot.since = performance.now()
      // Its last reply: the worker is done with the batch's primitives.
      releaseTaskArgs(batch.tasks, slot.handle)
    }
    slot.inflight -= n
    this.#inflight -= n
    const tasks = batch.tasks
    const x = message.x
    const fn = (tasks[x === undefined ? o : (x[0] as number)] as Task).fn
    const perTask = message.ms / n
    const before = fn.avgMs
    fn.steady = before !== undefined && Math.abs(perTask - before) <= before / 4 ? fn.steady + 1 : 0
    fn.avgMs = before === undefined ? perTask : (before + perTask) / 2
    if (message.y === 1) fn.async = true
    if (message.g === 1) bigPayload(BIG_PAYLOAD)
    let errors: (readonly [number, unknown, 0 | 1])[] | undefined
    if (message.e !== undefined) errors = message.e.map(([i, e, enc]) => [i, deserializeThrown(e), enc] as const)
    for (let k = 0; k < n; k++) {
      const i = x === undefined ? o + k : (x[k] as number)
      const task = tasks[i] as Task
      if (task.state !== RUNNING) continue
      task.state = SETTLED
      if (task.extra !== undefined) {
        if (task.exclusive) slot.exclusive = false
        this.#detach(task)
      }
      const failure = errors?.find(([index]) => index === i)
      if (failure === undefined) task.sink.resolve(task, values[k])
      else if (failure[2] === 1) {
        const remote = failure[1] as Error
        task.sink.reject(task, new MaybeEncodingError(remote.message))
      } else task.sink.reject(task, failure[1])
    }
    if (slot.remaining <= 0 && batches.length === 0) slot.end(false)
    this.#pump()
  }

  /**
   * A worker ended. Its unanswered tasks fail (their results never came; the ones that came are
   * settled already). An exit the pool did not ask for breaks an executor; a `Pool` replaces the
   * worker, and gives up only when workers keep failing to start (`#startFailed`).
   */
  #onExit(slot: Slot, bySelf: boolean): void {
    slot.exited()
    this.#slots.delete(slot)
    // What it claimed of the offers was running there.
    this.#syncOffers()
    const lost = slot.batches.flatMap((batch) => batch.tasks)
    slot.batches.length = 0
    this.#inflight -= slot.inflight
    slot.inflight = 0
    for (const task of lost) this.#settleError(task, this.#brokenError('running', slot.uncaught))
    if (!slot.leaving && !this.#closed) {
      if (this.#options.onCrash === 'break') this.#break('crashed', slot.uncaught)
      else if (!slot.ready && bySelf) this.#startFailed('crashed', slot.uncaught)
    }
    if (!this.#closed && this.#broken === undefined) {
      if (this.#options.eager && !this.#spawnUpTo(this.#options.maxWorkers - this.#slots.size)) return
      this.#pump()
    }
    this.#checkIdle()
  }

  /** A `Pool`'s worker failed to start by itself; too many in a row break the pool. */
  #startFailed(kind: 'crashed' | 'initializer', cause: unknown): void {
    if (++this.#startFailures >= MAX_START_FAILURES) this.#break(kind, cause)
  }

  #brokenError(kind: 'running' | 'crashed' | 'initializer' | 'spawn', cause: unknown): Error {
    const base = BROKEN_MESSAGES[this.#flavor.backend.kind][kind]
    const message = kind === 'spawn' ? `${base}: ${(cause as Error | undefined)?.message ?? String(cause)}` : base
    return new this.#flavor.Broken(message, cause === undefined ? undefined : { cause })
  }

  #break(kind: 'crashed' | 'initializer' | 'spawn', cause: unknown): void {
    if (this.#broken !== undefined) return
    this.#broken = this.#brokenError(kind, cause)
    const running = (): Error => this.#brokenError(kind === 'crashed' ? 'running' : kind, cause)
    for (const task of this.#takeBackOffers()) this.#settleError(task, running())
    for (const task of this.#queue.takeAll()) this.#settleError(task, running())
    for (const slot of this.#slots) {
      for (const batch of slot.batches) for (const task of batch.tasks) this.#settleError(task, running())
      this.#inflight -= slot.inflight
      slot.inflight = 0
      slot.batches.length = 0
      slot.end(true)
    }
    this.#checkIdle()
  }

  #abort(task: Task): void {
    const reason = task.extra?.signal?.reason
    if (task.state === QUEUED) {
      this.#withdraw(task, reason)
      this.#checkIdle()
    } else if (task.state === RUNNING) this.#stopRunning(task, reason)
  }

  #expire(task: Task): void {
    if (task.extra !== undefined) task.extra.timer = undefined
    if (task.state !== RUNNING) return
    const seconds = (task.extra?.timeoutMs ?? 0) / 1000
    this.#stopRunning(task, new TimeoutError(`the task did not finish within ${seconds} seconds`))
  }

  /** Stops a running task by ending its worker (it runs alone there); a new worker replaces it. */
  #stopRunning(task: Task, reason: unknown): void {
    const slot = task.extra?.slot as Slot
    slot.batches.length = 0
    this.#inflight -= slot.inflight
    slot.inflight = 0
    slot.end(true)
    this.#settleError(task, reason)
  }

  #withdraw(task: Task, reason: unknown): void {
    if (task.state !== QUEUED) return
    this.#drop(task)
    task.sink.cancel(task, reason)
  }

  #settleError(task: Task, error: unknown): void {
    if (task.state === SETTLED) return
    this.#drop(task)
    task.sink.reject(task, error)
  }

  /** `task` leaves the pool unrun or done: settled, its arguments and extras let go. */
  #drop(task: Task): void {
    task.state = SETTLED
    dropTaskArgs(task)
    this.#detach(task)
  }

  #detach(task: Task): void {
    const extra = task.extra
    if (extra === undefined) return
    extra.offAbort?.()
    extra.offAbort = undefined
    if (extra.timer !== undefined) clearTimeout(extra.timer)
    extra.timer = undefined
    extra.slot = undefined
  }

  #idle(): boolean {
    return this.#inflight === 0 && this.#liveHead() === undefined
  }

  #checkIdle(): void {
    if (!this.#idle()) return
    if (this.#busy) this.#setBusy(false)
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const wake of waiters) wake()
  }

  /** Workers keep the program alive only while there is work (and while they are being ended). */
  #setBusy(busy: boolean): void {
    this.#busy = busy
    for (const slot of this.#slots) slot.keepAlive(busy)
  }
}

export type { TaskMode }
