/**
 * The worker side of every pool and executor: a unit "service" (see `ServiceSpec`) that runs the
 * initializer, then runs the batches of tasks it is sent. Tasks start in the order they came; a
 * task that returns a promise is awaited while the next ones start (up to `concurrentTasksPerWorker`
 * awaiting at once), so async tasks overlap and batches run concurrently. Each batch's results go
 * back in order, in one reply, or in several when they are big (BATCH_BYTES). On worker threads, a
 * worker with nothing pending waits for its next batch outside its event loop (`idleLoop`). Built
 * as its own entry (`dist/executor/pool-worker.js`); pools point `init.service` at it.
 */
import { BIG_PAYLOAD, bigPayload } from '../internal/big-blocks.js'
import { context } from '../internal/context.js'
import { readyToSerialize, serializeThrown, type SerializedThrown } from '../internal/error-transport.js'
import { explainRebuiltFailure, resolveTarget } from '../internal/resolve-target.js'
import { shownValue } from '../internal/messages.js'
import type { TargetSpec } from '../internal/target-ref.js'
import { isThenable } from '../internal/thenable.js'
import type { TransferListItem } from '../backend.js'
import type { Writable } from '../internal/wire.js'
import type { ServiceContext, UnitChannel } from '../unit.js'
import { IdleSpin } from './idle-spin.js'
import { isMoved } from './move.js'
import {
  BATCH_BYTES,
  MODE_CALL,
  MODE_CHUNK,
  MODE_ONE,
  offerAgeWord,
  olderAge,
  packChunk,
  packedArray,
  payloadBytes,
  resultDepth,
  type DoneMessage,
  type InitFailedMessage,
  type PoolWorkerData,
  type RunMessage,
  type StoppedMessage,
  type TaskFailure,
  type TaskMode,
} from './protocol.js'

type Fn = (...args: unknown[]) => unknown

/** How long a quiet worker thread waits for messages outside its event loop, at most. */
const IDLE_WAIT_MS = 10
/** Microtask turns before each idle wait (promise chains a task left run first). */
const MICROTASK_HOPS = 4
/**
 * How long a worker that has just gone idle watches for its next task before it sleeps, at most
 * (a thread: within its idle slice of IDLE_WAIT_MS), and how soon that task must come for the next
 * idle time to spin (its work then limited to ten times that; idle-spin.ts): `CONC_IDLE_SPIN_US`
 * microseconds from the environment the workers start with; 0, or anything that is not a number of
 * microseconds ('off', '100us'), turns it off. By default 100 µs for a worker thread, and none for
 * a worker process (`ownProcess`): one awaited call at a time, against three peers, measured its
 * 99th percentile at 79-80 µs without the spin against 124-127 with it, its median at 22 against
 * 24; with longer idle spells neither won; and a sleeping worker costs no CPU between calls
 * (bench/FINDINGS-pools.md, round 13).
 */
function idleSpinMs(ownProcess: boolean): number {
  const value = process.env.CONC_IDLE_SPIN_US
  if (value === undefined || value.trim() === '') return ownProcess ? 0 : 0.1
  const us = Number(value)
  return Number.isFinite(us) && us > 0 ? us / 1000 : 0
}
/** A function, or why it could not be found. */
type Entry = { readonly fn: Fn } | { readonly error: unknown }

function call(fn: Fn, mode: TaskMode, payload: unknown): unknown {
  if (mode === MODE_ONE) return fn(payload)
  if (mode === MODE_CALL) return fn(...(payload as unknown[]))
  const items = payload as ArrayLike<unknown>
  const out = new Array<unknown>(items.length)
  const star = mode !== MODE_CHUNK
  for (let i = 0; i < items.length; i++) {
    const r = star ? fn(...(items[i] as unknown[])) : fn(items[i])
    if (isThenable(r)) return finishChunk(fn, star, items, out, i, r)
    out[i] = r
  }
  return out
}

async function finishChunk(fn: Fn, star: boolean, items: ArrayLike<unknown>, out: unknown[], at: number, pending: PromiseLike<unknown>): Promise<unknown[]> {
  out[at] = await pending
  for (let i = at + 1; i < items.length; i++) {
    const r = star ? fn(...(items[i] as unknown[])) : fn(items[i])
    out[i] = isThenable(r) ? await r : r
  }
  return out
}

/** The results of a chunk, with `move()` markers unwrapped and their buffers kept to transfer. */
function unwrapChunk(run: { transfer: TransferListItem[] | undefined }, values: unknown[]): unknown[] {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v !== null && typeof v === 'object' && isMoved(v)) {
      if (v.transfer.length > 0) (run.transfer ??= []).push(...v.transfer)
      values[i] = v.value
    }
  }
  return values
}

function encodingFailure(value: unknown, error: unknown): SerializedThrown {
  return serializeThrown(
    Object.assign(new Error(`Error sending result: '${shownValue(value)}'. Reason: '${(error as Error)?.message ?? String(error)}'`), {
      name: 'MaybeEncodingError',
    }),
  )
}

/**
 * A batch as the worker runs it: its tasks start in order and settle in any order; their results
 * go back as they settle, gathered into one reply per batch and turn of the event loop (one reply
 * for a batch of synchronous tasks), split when they pass BATCH_BYTES.
 */
interface Run {
  readonly id: number
  readonly f: number | readonly number[]
  readonly m: TaskMode | readonly TaskMode[]
  readonly a: readonly unknown[]
  readonly n: number
  readonly values: unknown[]
  /** The next task to start. */
  next: number
  /** Tasks not replied yet. */
  left: number
  /** Tasks started and not settled (async ones, and failures whose error is being prepared). */
  pending: number
  /**
   * Settled tasks not replied yet: `lo` … `hi - 1` while they follow each other (synchronous tasks
   * do), else listed in `unsent` in the order they settled; and their failures.
   */
  lo: number
  hi: number
  unsent: number[] | undefined
  failures: TaskFailure[] | undefined
  /** Synchronous milliseconds not reported yet. */
  ms: number
  /** Bytes of the unsent results. */
  bytes: number
  /** Buffers moved back with the unsent results. */
  transfer: TransferListItem[] | undefined
  /** Some task returned a promise. */
  async: boolean
  /** A reply of what settles during this turn of the event loop is scheduled. */
  scheduled: boolean
  /** Offered by the pool (`RunMessage.c`, `.k`): claimed when it is next to start, else dropped. */
  readonly claim: number | undefined
  readonly word: number
  /** This worker claimed it (`claim`): it runs after a macrotask boundary (pump). */
  claimed: boolean
  /**
   * It starts after a macrotask boundary too: its tasks are long (`RunMessage.l`), or it was
   * read before the batch ahead of it replied (claimNext), when a message would have waited for
   * the next turn of the event loop.
   */
  readonly deferred: boolean
  /** The batch's primitives (shared-codec lease), released with its last reply. */
  readonly leased: { release(): void } | undefined
  /** Its tasks were given primitives: each runs alone in this worker (see `alone` below). */
  readonly alone: boolean
}

/** The pool-worker service. */
export async function poolWorker({ channel, data, init }: ServiceContext): Promise<void> {
  const { initializer, initargs, h, c, o: offerWords, w: number = 0 } = data as PoolWorkerData
  /**
   * Async tasks run up to `c` at once, except where primitives are involved: a task given any
   * (in its arguments, or every task when the initializer was) runs alone, as every task does in
   * Python's pools. Primitives are owned by their unit: an `RLock` (a `Value`'s `getLock()`)
   * taken by one task would let this worker's other tasks in, and a read-modify-write under it
   * would lose updates.
   */
  const limit = h === 1 ? 1 : c >= 1 ? c : 1
  /** Primitives in initargs or task arguments: the codec is loaded only for messages that carry some. */
  const decode = async <T>(value: T): Promise<T> => {
    const codec = await import('../internal/shared-codec.js')
    return codec.decodeShared(value, { channel, loaderHooks: init.loaderHooks })
  }
  /** A batch's primitives, kept (proxies, fresh copies) only until its reply is sent. */
  const decodeBatch = async <T>(value: T): Promise<{ readonly value: T; release(): void }> => {
    const codec = await import('../internal/shared-codec.js')
    return codec.decodeLeased(value, { channel, loaderHooks: init.loaderHooks })
  }
  const fns = new Map<number, Entry>()
  /** Batches with tasks not started yet, oldest first. */
  const waiting: Run[] = []
  /** Async tasks awaiting now; at most `limit`. */
  let inflight = 0
  /** Of those, tasks that were given primitives: nothing else starts while one awaits. */
  let aloneInflight = 0
  /** Batches not fully replied. */
  let open = 0
  let onIdle: (() => void) | undefined
  let stopped!: () => void
  const stop = new Promise<void>((resolve) => (stopped = resolve))

  const resolveFn = async (spec: TargetSpec): Promise<Entry> => {
    context.bootstrapping = true
    try {
      return { fn: (await resolveTarget(spec, init.loaderHooks)).fn as Fn }
    } catch (error) {
      return { error }
    } finally {
      context.bootstrapping = false
    }
  }

  const reply = (message: DoneMessage, transfer: TransferListItem[] | undefined): void => {
    try {
      channel.send(message, transfer)
      return
    } catch (error) {
      // Some value cannot be sent: fail those tasks, send the others (the worker lives on).
      const values = [...message.v]
      const failures = [...(message.e ?? [])]
      const o = message.o ?? 0
      values.forEach((value, i) => {
        try {
          // Only on this failure path: node:v8 is not loaded in a worker thread otherwise.
          process.getBuiltinModule('node:v8').serialize(value)
        } catch (why) {
          values[i] = undefined
          failures.push([message.x?.[i] ?? o + i, encodingFailure(value, why), 1])
        }
      })
      if (failures.length === (message.e?.length ?? 0)) throw error
      channel.send({ ...message, v: values, e: failures } as DoneMessage, transfer)
    }
  }

  /**
   * 0 until a task's result is big; then 1 until a reply has told the pool (`g`), which learns of
   * big payloads from it where the results are read (internal/big-blocks.ts); 2 after.
   */
  let bigResult: 0 | 1 | 2 = 0
  /** This worker is a process of its own (a worker thread shares the program's). */
  const ownProcess = context.unit?.kind === 'process'

  /** Replies the settled tasks not replied yet. */
  const flush = (run: Run): void => {
    const unsent = run.unsent
    const { lo, hi } = run
    const k = unsent === undefined ? hi - lo : unsent.length
    if (k === 0) return
    const values = run.values
    const v = unsent !== undefined ? unsent.map((i) => values[i]) : k === run.n ? values : values.slice(lo, hi)
    const message: Writable<DoneMessage> = { t: 'p.done', b: run.id, v, ms: run.ms }
    if (unsent !== undefined) message.x = unsent
    else if (lo !== 0) message.o = lo
    if (run.failures !== undefined) message.e = run.failures
    if (run.async) message.y = 1
    if (bigResult === 1) {
      message.g = 1
      bigResult = 2
    }
    const transfer = run.transfer
    run.unsent = undefined
    run.lo = run.hi = 0
    run.failures = undefined
    run.ms = 0
    run.bytes = 0
    run.transfer = undefined
    run.left -= k
    try {
      reply(message, transfer)
    } finally {
      // The batch's primitives are kept (proxies, fresh copies) only until its last reply is sent.
      if (run.left === 0) run.leased?.release()
    }
    if (run.left === 0 && --open === 0) wentIdle()
  }

  /** Nothing is left to run or reply. */
  const wentIdle = (): void => {
    if (onIdle !== undefined) onIdle()
    spinNext = spin?.idle() === true
    idleWait()
  }

  const later = (run: Run): void => {
    run.scheduled = false
    flush(run)
  }

  /** Task `i` settled; `late`: after its batch's synchronous start (a promise settled). */
  const settle = (run: Run, i: number, late: boolean, depth = 2): void => {
    if (run.unsent !== undefined) run.unsent.push(i)
    else if (run.hi === i) run.hi++
    else if (run.lo === run.hi) {
      run.lo = i
      run.hi = i + 1
    } else {
      const unsent: number[] = []
      for (let j = run.lo; j < run.hi; j++) unsent.push(j)
      unsent.push(i)
      run.unsent = unsent
    }
    // A moved result is not copied on worker threads (processes copy it).
    const size = payloadBytes(run.values[i], ownProcess ? undefined : run.transfer, depth)
    run.bytes += size
    if (size >= BIG_PAYLOAD && bigResult === 0) {
      bigPayload(size)
      bigResult = 1
    }
    if (run.bytes >= BATCH_BYTES) flush(run)
    else if (late) {
      // The last task: at once. Others: gathered with those that settle in the same turn.
      if (run.pending === 0 && run.next === run.n) flush(run)
      else if (!run.scheduled) {
        run.scheduled = true
        setImmediate(later, run)
      }
    }
  }

  const store = (run: Run, i: number, mode: TaskMode, value: unknown, late: boolean): void => {
    let v = value
    if (mode >= MODE_CHUNK) v = packChunk(unwrapChunk(run, v as unknown[]))
    else if (isMoved(v)) {
      if (v.transfer.length > 0) (run.transfer ??= []).push(...v.transfer)
      v = v.value
    }
    run.values[i] = v
    settle(run, i, late, resultDepth(mode))
  }

  const fail = (run: Run, i: number, error: unknown, fn: Fn | undefined, late: boolean): void => {
    const record = (later: boolean): void => {
      if (fn !== undefined) explainRebuiltFailure(error, fn as never)
      ;(run.failures ??= []).push([i, serializeThrown(error), 0])
      settle(run, i, later)
    }
    const ready = readyToSerialize(error)
    if (ready === undefined) return record(late)
    run.pending++
    void ready.then(() => {
      run.pending--
      record(true)
    })
  }

  /** Whether the offer `claim` in `word` is no longer there to claim (another worker took it, or the pool took it back). */
  const offerGone = (claim: number, word: number): boolean => offerWords === undefined || Atomics.load(offerWords, word) !== claim
  /**
   * Whether an offer older than the one in `word` is still out: the first worker free runs the
   * oldest, so this one does not take this one. If it holds the older one (offered again, it came
   * later), it gets to it next; if not, it takes none, and the pool, seeing it free, sends it the
   * oldest. Ages: the words after the claims (worker-pool.ts, #offerWords).
   */
  const olderOut = (word: number): boolean => {
    const words = offerWords as Int32Array
    const age = Atomics.load(words, offerAgeWord(words, word))
    for (let i = 0; i < words.length / 2; i++) if (i !== word && Atomics.load(words, i) > 0 && olderAge(Atomics.load(words, offerAgeWord(words, i)), age)) return true
    return false
  }
  /**
   * Claims the offered `run`, now that it is next to start: only if no other worker has claimed
   * it, the pool has not taken it back (it was cancelled, or went to a worker that was free
   * first), and no older offer waits for another worker (then the pool sends this worker the
   * oldest); false when it is to be dropped.
   */
  const claim = (run: Run): boolean => {
    if (offerGone(run.claim as number, run.word) || olderOut(run.word)) return false
    run.claimed = Atomics.compareExchange(offerWords as Int32Array, run.word, run.claim as number, -number) === run.claim
    return run.claimed
  }
  /** Set while claimNext reads the messages that came: the runs they start are `deferred`. */
  let pulling = false
  /**
   * Before the reply to a batch that has ended, the offers behind it: claimed (or dropped) now,
   * so that the pool, when it reads the reply, finds this worker busy with the next one rather
   * than free (it would take its offers back and send it a batch: a round trip).
   */
  const claimNext = (): void => {
    // The messages that came while the batch ran: the offers among them (a thread's messages are
    // read between turns of its event loop, and a task ran in one).
    if (waiting.length < 2 && offerWords !== undefined && waitMessage !== undefined) {
      pulling = true
      try {
        waitMessage(0)
      } finally {
        pulling = false
      }
    }
    for (let next = waiting[1]; next !== undefined && next.claim !== undefined && next.next === 0 && !next.claimed; next = waiting[1]) {
      if (claim(next)) return
      waiting.splice(1, 1)
      open--
    }
  }
  /**
   * An offered run starts after a macrotask boundary (`pump`): waiting for it (`deferred`), and
   * had it (`turned`).
   */
  let deferred = false
  let turned = false
  const afterTurn = (): void => {
    deferred = false
    turned = true
    try {
      pump()
    } finally {
      turned = false
    }
  }
  /** After a turn of the event loop: its timers and I/O run before (a timer would wait 1 ms). */
  const afterLoop = (): void => void setImmediate(afterTurn)
  /** Starts tasks, oldest batch first, while fewer than `limit` are awaiting. */
  const pump = (): void => {
    while (waiting.length > 0 && inflight < limit && aloneInflight === 0) {
      const run = waiting[0] as Run
      // A task given primitives starts only when nothing else awaits, and then alone.
      const most = run.alone ? 1 : limit
      if (run.alone && inflight > 0) break
      if (run.next === 0 && (run.claim !== undefined || run.deferred)) {
        // Offered: this worker runs it if it claims it (else it is dropped), and after what the
        // tasks before left to run, which offers that keep coming would otherwise hold back (a
        // thread takes the messages waiting one after another, in one go): the microtasks (an
        // immediate), and the timers and I/O if there are any (an immediate from an immediate: a
        // turn of the event loop in between). A long batch waits for the same boundary, so that
        // the offers sent after it have been read when it ends (claimNext).
        if (run.claim !== undefined && !run.claimed && !claim(run)) {
          waiting.shift()
          if (--open === 0) wentIdle()
          continue
        }
        if (!turned) {
          if (!deferred) {
            deferred = true
            setImmediate(process.getActiveResourcesInfo().length > 1 ? afterLoop : afterTurn)
          }
          break
        }
        turned = false
      }
      const { f, m, a, n } = run
      const sameFn = typeof f === 'number'
      const sameMode = typeof m === 'number'
      let entry = sameFn ? fns.get(f) : undefined
      const started = performance.now()
      let i = run.next
      for (; i < n && inflight < most; i++) {
        if (!sameFn) entry = fns.get(f[i] as number)
        const mode = (sameMode ? m : m[i]) as TaskMode
        if (entry === undefined || 'error' in entry) {
          fail(run, i, entry === undefined ? new Error('pool worker: unknown function') : entry.error, undefined, false)
          continue
        }
        const fn = entry.fn
        let r: unknown
        try {
          r = call(fn, mode, a[i])
        } catch (error) {
          fail(run, i, error, fn, false)
          continue
        }
        if (!isThenable(r)) {
          store(run, i, mode, r, false)
          continue
        }
        run.async = true
        run.pending++
        inflight++
        if (run.alone) aloneInflight++
        const at = i
        r.then(
          (value) => {
            inflight--
            if (run.alone) aloneInflight--
            run.pending--
            store(run, at, mode, value, true)
            pump()
          },
          (error: unknown) => {
            inflight--
            if (run.alone) aloneInflight--
            run.pending--
            fail(run, at, error, fn, true)
            pump()
          },
        )
      }
      run.next = i
      run.ms += performance.now() - started
      if (i === n && run.pending === 0) claimNext()
      // What settled synchronously goes now; async results follow as they settle.
      flush(run)
      if (i < n) break
      waiting.shift()
    }
  }

  const start = (message: RunMessage, a: readonly unknown[], leased?: { release(): void }): void => {
    const n = a.length
    open++
    const run: Run = {
      id: message.b,
      f: message.f,
      m: message.m,
      a,
      n,
      values: packedArray(n),
      next: 0,
      left: n,
      pending: 0,
      lo: 0,
      hi: 0,
      unsent: undefined,
      failures: undefined,
      ms: 0,
      bytes: 0,
      transfer: undefined,
      async: false,
      scheduled: false,
      leased,
      alone: leased !== undefined,
      claim: message.c,
      claimed: false,
      deferred: message.l === 1 || pulling,
      word: message.k ?? 0,
    }
    waiting.push(run)
    if (waiting.length === 1) pump()
  }

  /** A batch that brings functions to resolve or primitives to decode: async, but started in order. */
  const prepare = async (message: RunMessage): Promise<void> => {
    if (message.d !== undefined) {
      for (const [id, spec] of message.d) fns.set(id, await resolveFn(spec))
    }
    let a = message.a
    let leased: { release(): void } | undefined
    if (message.h === 1) {
      try {
        const decoded = await decodeBatch(a)
        a = decoded.value
        leased = decoded
      } catch (error) {
        // The primitives could not be rebuilt here: every task of the batch fails with why.
        const n = a.length
        const failures: TaskFailure[] = []
        for (let i = 0; i < n; i++) failures.push([i, serializeThrown(error), 0])
        reply({ t: 'p.done', b: message.b, v: packedArray(n), e: failures, ms: 0 } as DoneMessage, undefined)
        return
      }
    }
    start(message, a, leased)
  }
  /** Set while a batch is being prepared: later batches wait for it, to start in order. */
  let gate: Promise<void> | undefined
  const receive = (message: RunMessage): void => {
    if (message.g === 1) bigPayload(BIG_PAYLOAD)
    if (gate === undefined && message.d === undefined && message.h !== 1) return start(message, message.a)
    const previous = gate
    const next: Promise<void> = (previous ?? Promise.resolve()).then(() => (message.d === undefined && message.h !== 1 ? start(message, message.a) : prepare(message)))
    gate = next
    void next.then(() => {
      if (gate !== next) return
      gate = undefined
      // A thread's idle wait declined while the message was prepared: it can begin now.
      idleWait()
    })
  }
  const idle = (): Promise<void> =>
    gate !== undefined ? gate.then(idle) : open === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onIdle = resolve)).then(idle)

  let stopping = false
  const waitMessage = channel.waitMessage
  /**
   * Nothing can happen in this worker but a message from the pool: no task running or queued,
   * nothing the tasks left that keeps the event loop alive (a timer, a socket, a file read,
   * another port, output not written yet): only the pool's own port.
   */
  const quiet = (): boolean =>
    !stopping && open === 0 && inflight === 0 && waiting.length === 0 && gate === undefined && process.getActiveResourcesInfo().length === 1
  /** The idle wait below is running: the messages it hands over are handled inside it. */
  let looping = false
  /**
   * The idle path of worker threads (piscina's): a quiet worker waits for its next message with
   * `Atomics.wait` and takes it from the port directly, instead of sleeping in its event loop,
   * whose wake-up per message costs system calls and context switches. A few microtask turns
   * before each wait let what the tasks left in microtasks run (and start timers or I/O, which
   * end the wait); the wait returns to the event loop when a task goes async, when anything
   * keeps the loop alive, and at the latest IDLE_WAIT_MS after it started, so that what cannot
   * be seen here (unref'd timers, deep promise chains, `process.nextTick`) is late by no more.
   */
  const idleLoop = async (wait: NonNullable<UnitChannel['waitMessage']>): Promise<void> => {
    looping = true
    try {
      const until = performance.now() + IDLE_WAIT_MS
      for (;;) {
        for (let hop = 0; hop < MICROTASK_HOPS; hop++) await undefined
        const left = until - performance.now()
        if (left <= 0 || !quiet()) return
        // The tasks this wait hands over run inside it, and say whether the next wait spins first.
        const spinFor = spinNext ? spinMs : 0
        spinNext = false
        if (wait(left, spinFor) === 0) return
      }
    } finally {
      looping = false
      // Decided for this loop's waits only: a later wait follows a new idle time, which decides again.
      spinNext = false
    }
  }
  /**
   * Workers spin a little when they go idle between short tasks that come back to back
   * (idle-spin.ts): a process by turning its event loop, a thread by watching its wake word before
   * it waits on it. (A thread without a wake word waits in its event loop and does not spin.)
   */
  const spinMs = waitMessage !== undefined || ownProcess ? idleSpinMs(ownProcess) : 0
  const spin = spinMs > 0 ? new IdleSpin(spinMs, () => open !== 0 || stopping || gate !== undefined, { turns: waitMessage === undefined }) : undefined
  /** A thread's next idle wait spins first (set when the worker goes idle: `spin.idle()`). */
  let spinNext = false
  const idleWait = (): void => {
    if (waitMessage !== undefined && !looping && quiet()) void idleLoop(waitMessage)
  }

  channel.onMessage((message) => {
    if (message.t === 'p.run') {
      const run = message as RunMessage
      // An offer another worker has claimed already (or the pool took back): nothing to do, unless
      // it brings a function's definition, which this worker keeps (pump drops the run later).
      if (run.c !== undefined && run.d === undefined && offerGone(run.c, run.k ?? 0)) {
        idleWait()
        return
      }
      spin?.arrived(run.s === 1)
      receive(run)
      idleWait()
    } else if (message.t === 'p.stop') {
      stopping = true
      stopped()
    }
  })

  if (initializer !== undefined) {
    const entry = await resolveFn(initializer)
    try {
      if ('error' in entry) throw entry.error
      const r = entry.fn(...(h === 1 ? await decode(initargs) : initargs))
      if (isThenable(r)) await r
    } catch (error) {
      await readyToSerialize(error)
      // The pool starts another worker; this one ends now, normally (exit code 0: no party of a
      // primitive it was given died), whatever the initializer left running.
      await context.settle?.()
      channel.sendAndExit({ t: 'p.init-failed', e: serializeThrown(error) } as InitFailedMessage, 0)
      return
    }
  }
  channel.send({ t: 'p.ready' })
  idleWait()
  // A stop asked by the pool (shutdown, close, maxTasksPerChild): finish what was sent, let the
  // primitives' writes land, and end now with exit code 0 (a normal end, not a death, for the
  // primitives the worker held), whatever timers or sockets the tasks left open, as Python's
  // worker exits once it is told to.
  await stop
  await idle()
  await context.settle?.()
  channel.sendAndExit(STOPPED, 0)
}

const STOPPED: StoppedMessage = { t: 'p.stopped' }
