/**
 * Spin, then sleep: what a pool's worker does when it goes idle between short tasks that come back
 * to back (by default a worker thread only; a worker process when `CONC_IDLE_SPIN_US` is set:
 * pool-worker.ts, `idleSpinMs`). A worker process keeps its event loop turning (below); a worker
 * thread, which waits for its next message with `Atomics.wait` (pool-worker.ts, `idleLoop`),
 * watches the wake word in a loop for the same budget before it waits (@conc/threading's entry);
 * this class decides for both. A worker thread also skips its spins for a while when they keep
 * ending before the program has taken its reply (spin-backoff.ts).
 *
 * A worker that sleeps is woken by the kernel when the next message comes, and on a virtual
 * machine that wake-up can cost more than the round trip itself: one awaited trivial task at a
 * time took 46–73 µs a round trip when the worker slept between tasks (15–25 µs when the scheduler
 * happened not to let it sleep), 15–16 µs on threads and 24–28 µs on processes when it spun
 * (bench/FINDINGS-pools.md, rounds 7 and 8). A message that comes during a spin is handled at once.
 *
 * A worker spins only when its tasks come back to back (the first task after it last went idle
 * came within the budget), are short (its work since then took under 10 budgets: for longer work a
 * wake-up is a small part of the cycle) and were sent alone (nothing else of the pool queued or
 * running: when the pool has more work the program is busy sending and receiving it, and a
 * spinning worker takes its core; bursts of 10,000 trivial tasks took 15–20% longer on 2 cores
 * when workers spun between batches, 400 tasks of 1 ms about 1%; a burst's first task goes out
 * alone, before the rest is queued, so a worker may spin once as a burst starts). A spin ends when the worker has
 * work that goes on (an async task, a stop) or when the budget is spent, counted from the worker's
 * last going idle (a synchronous task that comes and runs within the spin makes it go idle again,
 * and the spin goes on). So what it costs is bounded by the budget each time the worker goes idle,
 * and paid only when the pool hands it short tasks one at a time, one after another.
 */

/** What the spinner reads the time from, schedules its turns with and waits between them with (tests give their own). */
export interface SpinClock {
  now(): number
  later(turn: () => void): void
  /**
   * Waits, without giving up the CPU, until the time is `until` (`from` is the time now); returns
   * the time it read last (`holdUntil`).
   */
  hold(from: number, until: number): number
}

/**
 * How often a worker process's spin turns its event loop, at most, in ms. A turn (a `setImmediate`,
 * then a poll of the event loop) takes about 1 µs and allocates about 260 bytes, so a spin that
 * turned as fast as it could made its worker collect its young generation almost twice as often
 * (14 collections in 2,000 one-at-a-time calls against 8 with 2 µs turns), and on a virtual machine
 * a collection that wakes V8's helper threads on an idle CPU takes 100-300 µs: the p99 of one
 * awaited task at a time after 20,000 calls was 110-220 µs, 83-98 µs with paced turns, p50
 * unchanged (bench/FINDINGS-pools.md, round 10). Between turns the spin waits in a loop that
 * allocates only a read of the clock about every microsecond (`holdUntil`); a message that comes
 * meanwhile is taken that much later, 1 µs on average.
 */
export const TURN_EVERY_MS = 0.002

/** How often `holdUntil` and `watchUntil` read the clock, in ms: Node 20's `performance.now()` allocates (32 bytes). */
const HOLD_CLOCK_EVERY_MS = 0.001
/** Reads of the watched word between two reads of the clock, adapted to HOLD_CLOCK_EVERY_MS. */
let holdReads = 64
/** A word nothing writes: reading it is a wait that allocates nothing and is not optimized away. */
let holdWord: Int32Array | undefined

/**
 * Waits, without giving up the CPU, until `performance.now()` reaches `until` (`from`: its value
 * now); returns the last value read. It reads a word nothing writes, and the clock only about
 * every microsecond (the clock allocates, the word does not).
 */
export function holdUntil(from: number, until: number): number {
  holdWord ??= new Int32Array(1)
  watchUntil(holdWord, 0, 0, from, until)
  return lastRead
}

/** The clock as `watchUntil` last read it. */
let lastRead = 0

/**
 * Watches `word[index]`, without giving up the CPU, until it is no longer `value` (true) or
 * `performance.now()` reaches `until` (false; `from`: its value now). The clock is read only about
 * every microsecond (it allocates; the word does not).
 */
export function watchUntil(word: Int32Array, index: number, value: number, from: number, until: number): boolean {
  let last = from
  for (;;) {
    for (let i = 0; i < holdReads; i++) if (Atomics.load(word, index) !== value) return true
    const now = performance.now()
    if (now - last < HOLD_CLOCK_EVERY_MS / 2) holdReads = Math.min(holdReads * 2, 1 << 16)
    else if (now - last > HOLD_CLOCK_EVERY_MS * 2) holdReads = Math.max(holdReads >> 1, 1)
    last = lastRead = now
    if (now >= until) return Atomics.load(word, index) !== value
  }
}

const realClock: SpinClock = {
  now: () => performance.now(),
  later: (turn) => void setImmediate(turn),
  hold: holdUntil,
}

export class IdleSpin {
  readonly #budgetMs: number
  readonly #busy: () => boolean
  readonly #clock: SpinClock
  /** Whether this class turns the event loop itself (worker processes), or only decides (threads). */
  readonly #turns: boolean
  /** When the worker last went idle (-1: it has had work since). */
  #idleSince = -1
  /** When its current work began (the first task after it last went idle). */
  #workSince = 0
  /** Whether the last task came within the budget of the worker's going idle. */
  #backToBack = false
  /** Whether every task since the worker last went idle was sent alone (nothing else of the pool pending). */
  #solo = false
  /** When the current spin ends (0: no spin). */
  #until = 0
  /** When the current spin last scheduled a turn. */
  #lastTurn = 0

  /**
   * @param budgetMs how long a spin lasts at most, and how soon a task must come after the worker
   *   went idle for the next idle time to spin
   * @param busy whether the worker has work (a task running, a message being prepared, a stop)
   * @param options.turns spin by turning the event loop (`setImmediate`, at most every
   *   TURN_EVERY_MS; the default); false: `idle()` only says whether to spin, and the caller does
   * @param options.clock the time and the turns (tests give their own)
   */
  constructor(budgetMs: number, busy: () => boolean, { turns = true, clock = realClock }: { turns?: boolean; clock?: SpinClock } = {}) {
    this.#budgetMs = budgetMs
    this.#busy = busy
    this.#clock = clock
    this.#turns = turns
  }

  /** The worker is spinning now. */
  get spinning(): boolean {
    return this.#until !== 0
  }

  /**
   * A task came; `solo`: the pool sent it alone, with nothing else queued or running (one awaited
   * call after another). Only then does a spin pay: when the pool has more work, the program is
   * busy sending and receiving it, and a spinning worker would take its core.
   */
  arrived(solo = true): void {
    if (this.#idleSince < 0) {
      if (!solo) this.#solo = false
      return
    }
    const now = this.#clock.now()
    this.#backToBack = now - this.#idleSince < this.#budgetMs
    this.#solo = solo
    this.#idleSince = -1
    this.#workSince = now
  }

  /** The worker has just gone idle (its last reply sent); true if it spins (or is to) now. */
  idle(): boolean {
    const now = this.#clock.now()
    const worked = now - this.#workSince
    this.#idleSince = now
    if (!this.#backToBack || !this.#solo || worked >= 10 * this.#budgetMs) {
      // A spin still running (a task not sent alone came and ran within it) ends at its next turn.
      this.#until = 0
      return false
    }
    if (!this.#turns) return true
    // Idle again within a spin (a task came and ran meanwhile): the same spin goes on.
    const spinning = this.#until !== 0
    this.#until = now + this.#budgetMs
    if (!spinning) {
      this.#lastTurn = now
      this.#clock.later(this.#turn)
    }
    return true
  }

  readonly #turn = (): void => {
    if (this.#busy()) {
      this.#until = 0
      return
    }
    let now = this.#clock.now()
    // Paced: the next poll of the event loop comes TURN_EVERY_MS after the last, not sooner.
    const due = this.#lastTurn + TURN_EVERY_MS
    if (now < due && due < this.#until) now = this.#clock.hold(now, due)
    if (now < this.#until) {
      this.#lastTurn = now
      this.#clock.later(this.#turn)
    } else this.#until = 0
  }
}
