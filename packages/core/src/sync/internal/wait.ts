/**
 * Waiting on shared memory, never through another thread's event loop: a short spin (a handoff
 * between two busy threads lands within it), then a sleep. A worker thread sleeps in
 * `Atomics.wait` (a futex) in 1 ms slices between which its own event loop runs; the main thread,
 * whose event loop serves the whole program, sleeps in `Atomics.waitAsync`.
 */
import { RuntimeError } from '../../errors.js'
import { raceAbort } from '../../internal/abort.js'
import { threadInfo } from '../../internal/thread-info.js'

const { isMainThread, threadId } = threadInfo()

/** Who holds something in shared memory: a thread of this process is `threadId + 1`. */
export const localOwner = threadId + 1

/**
 * `Atomics.waitAsync` does not keep a Node event loop alive; a unit waiting on a lock must not
 * exit because of that. One ref'd timer stands for all waits in progress.
 */
let waits = 0
let keepAlive: NodeJS.Timeout | undefined
let released = false
function hold(): void {
  if (waits++ === 0) {
    keepAlive = setInterval(() => {}, 1 << 30)
    if (released) keepAlive.unref()
  }
}

/**
 * The unit's `run()` has finished: waits still pending (a `get()` nobody awaited) no longer keep
 * it alive, as a Python thread ends when its function returns.
 */
export function releaseWaits(): void {
  released = true
  keepAlive?.unref()
}

function unhold(): void {
  if (--waits === 0 && keepAlive !== undefined) {
    clearInterval(keepAlive)
    keepAlive = undefined
  }
}

/** The abort reason the owner uses when the unit that waited has died. */
export const UNIT_DIED = Symbol('@conc/unit-died')

/** The longest a worker thread blocks in `Atomics.wait` before its event loop runs again. */
const WORKER_SLICE_MS = 1

/** A wait slice is capped so that a wake-up lost to a cancelled waiter heals on its own. */
const SLICE_MS = 250
/**
 * How long a wait spins before it sleeps, in ms: adaptive, as glibc's adaptive mutexes are. A
 * handoff between two running threads lands within the spin and costs no sleep and no event-loop
 * task; but with more units than cores a long spin takes the CPU from the unit that would
 * release. So each thread spins longer after spins that succeeded (up to {@link SPIN_MAX_MS}) and
 * shorter after spins that did not (down to {@link SPIN_MIN_MS}). The main thread, whose event
 * loop serves the whole program, spins only briefly.
 */
const SPIN_MIN_MS = isMainThread ? 0.005 : 0.01
const SPIN_MAX_MS = isMainThread ? 0.005 : 0.5
let spinMs = SPIN_MIN_MS

function spinOutcome(succeeded: boolean): void {
  spinMs = succeeded ? Math.min(SPIN_MAX_MS, spinMs * 2) : Math.max(SPIN_MIN_MS, spinMs / 2)
}

/**
 * Spins synchronously, for at most the current spin time, until `take()` succeeds: a lock handed
 * over between two running threads is taken without a single `await` or sleep.
 */
export function spinToTake(take: () => boolean): boolean {
  const spinUntil = performance.now() + spinMs
  for (let i = 1; ; i++) {
    if (take()) {
      spinOutcome(true)
      return true
    }
    if ((i & 63) === 0 && performance.now() > spinUntil) {
      spinOutcome(false)
      return false
    }
  }
}

export type WaitResult = 'changed' | 'timed-out'

/** `Atomics.waitAsync` (Node 16+), missing from the ES2023 lib typings. */
interface AtomicsWaitAsync {
  waitAsync(
    i32: Int32Array,
    index: number,
    value: number,
    timeout?: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> }
}

/** `undefined` waits forever; otherwise a `performance.now()` deadline. */
export function deadlineOf(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : performance.now() + ms
}

/**
 * Waits until `i32[index]` is no longer `value`, the deadline passes, or `signal` aborts (the
 * promise then rejects with the signal's reason). May return `'changed'` spuriously: callers
 * re-check their condition.
 */
export async function waitChange(
  i32: Int32Array,
  index: number,
  value: number,
  deadline: number | undefined,
  signal: AbortSignal | undefined,
): Promise<WaitResult> {
  signal?.throwIfAborted()
  if (spinToTake(() => Atomics.load(i32, index) !== value)) return 'changed'
  if (!isMainThread && !released) return sleepInWorker(i32, index, value, deadline, signal)
  const left = deadline === undefined ? SLICE_MS : Math.min(SLICE_MS, deadline - performance.now())
  if (left <= 0) return 'timed-out'
  const result = (Atomics as unknown as AtomicsWaitAsync).waitAsync(i32, index, value, left)
  if (!result.async) return result.value === 'timed-out' && deadline !== undefined && performance.now() >= deadline ? 'timed-out' : 'changed'
  hold()
  try {
    const outcome = signal === undefined ? await result.value : await raceAbort(result.value, signal)
    if (outcome === 'timed-out' && deadline !== undefined && performance.now() >= deadline) return 'timed-out'
    return 'changed'
  } finally {
    unhold()
  }
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * A worker thread sleeps in `Atomics.wait` (a futex: woken within microseconds, without a task on
 * its event loop), in slices of at most 1 ms between which its event loop runs: its timers and
 * messages wait at most that long, and an `AbortSignal` is honoured.
 */
async function sleepInWorker(
  i32: Int32Array,
  index: number,
  value: number,
  deadline: number | undefined,
  signal: AbortSignal | undefined,
): Promise<WaitResult> {
  for (;;) {
    const left = deadline === undefined ? WORKER_SLICE_MS : Math.min(WORKER_SLICE_MS, deadline - performance.now())
    if (left <= 0) return 'timed-out'
    if (Atomics.wait(i32, index, value, left) !== 'timed-out') return 'changed'
    await yieldToLoop()
    signal?.throwIfAborted()
    // After run() finished, a wait must not keep the thread alive: callers re-check and wait again.
    if (Atomics.load(i32, index) !== value || released) return 'changed'
  }
}

/** Wakes every waiter on `i32[index]`. */
export function wakeAll(i32: Int32Array, index: number): void {
  Atomics.notify(i32, index)
}

/** Bumps a sequence word and wakes its waiters: "something changed, look again". */
export function bump(i32: Int32Array, index: number): void {
  Atomics.add(i32, index, 1)
  Atomics.notify(i32, index)
}

/**
 * A short internal mutex over one word (0 = free, else the holder's owner id). Held only for a
 * few synchronous steps, never across an `await`. A short spin, then `Atomics.wait` in slices of
 * 1 ms (Node allows it in the main thread too): it gives the CPU back when units outnumber cores
 * and the holder was descheduled. If a thread is stopped while it holds the word, the unit that
 * started it frees it (`recover`); a wait that lasts longer than that reports the object as
 * broken instead of freezing the event loop.
 */
export function lockWord(i32: Int32Array, index: number, owner: number): void {
  for (let i = 0; i < 100; i++) if (Atomics.compareExchange(i32, index, 0, owner) === 0) return
  const until = Date.now() + 2000
  for (;;) {
    const current = Atomics.compareExchange(i32, index, 0, owner)
    if (current === 0) return
    Atomics.wait(i32, index, current, 1)
    if (Date.now() > until) {
      throw new RuntimeError('a shared object is held by a unit that stopped in the middle of an update')
    }
  }
}

export function unlockWord(i32: Int32Array, index: number): void {
  Atomics.store(i32, index, 0)
  Atomics.notify(i32, index, 1)
}

/** Frees an internal mutex word left held by `owner` (a unit that died). */
export function recoverWord(i32: Int32Array, index: number, owner: number): void {
  if (Atomics.compareExchange(i32, index, owner, 0) === owner) Atomics.notify(i32, index, 1)
}
