/**
 * Spin, then sleep: the idle path of a pool's worker processes, which have no synchronous wait
 * (worker threads wait with `Atomics.wait` instead: pool-worker.ts, `idleLoop`).
 *
 * A process that sleeps in its event loop is woken by the kernel when the next message comes, and
 * on a virtual machine that wake-up can cost more than the round trip itself: one awaited trivial
 * task at a time took 50–73 µs a round trip when the worker slept between tasks (or 23–25 µs when
 * the scheduler happened not to let it sleep), 24–28 µs when it kept polling
 * (bench/FINDINGS-pools.md, rounds 7 and 8). So a worker that goes idle keeps its event loop
 * turning for a little while (`setImmediate`, whose turns poll for I/O without sleeping), and a
 * message that comes meanwhile is handled at once; but only when its tasks come back to back: the
 * first task after it last went idle came within the budget. A worker whose tasks come further
 * apart never spins, nor one whose work since it last went idle took 10 budgets or more (a wake-up
 * is then a small part of the cycle, and on a machine whose cores the workers fill a spin would
 * take a core from the program that is about to send the next batch: 400 tasks of 1 ms took about
 * 1% longer with it); a spin ends when the worker has work that goes on (an async task, a stop) or
 * when the budget is spent, counted from the worker's last going idle (a synchronous task that
 * comes and runs within the spin makes it go idle again, and the spin goes on). What it costs is
 * bounded by the budget each time the worker goes idle, and paid only when the pool hands it short
 * tasks one after another.
 */

/** What the spinner reads the time from and schedules its turns with (tests give their own). */
export interface SpinClock {
  now(): number
  later(turn: () => void): void
}

const realClock: SpinClock = {
  now: () => performance.now(),
  later: (turn) => void setImmediate(turn),
}

export class IdleSpin {
  readonly #budgetMs: number
  readonly #busy: () => boolean
  readonly #clock: SpinClock
  /** When the worker last went idle (-1: it has had work since). */
  #idleSince = -1
  /** When its current work began (the first task after it last went idle). */
  #workSince = 0
  /** Whether the last task came within the budget of the worker's going idle. */
  #backToBack = false
  /** When the current spin ends (0: no spin). */
  #until = 0

  /**
   * @param budgetMs how long a spin lasts at most, and how soon a task must come after the worker
   *   went idle for the next idle time to spin
   * @param busy whether the worker has work (a task running, a message being prepared, a stop)
   */
  constructor(budgetMs: number, busy: () => boolean, clock: SpinClock = realClock) {
    this.#budgetMs = budgetMs
    this.#busy = busy
    this.#clock = clock
  }

  /** The worker is spinning now. */
  get spinning(): boolean {
    return this.#until !== 0
  }

  /** A task came. */
  arrived(): void {
    if (this.#idleSince < 0) return
    const now = this.#clock.now()
    this.#backToBack = now - this.#idleSince < this.#budgetMs
    this.#idleSince = -1
    this.#workSince = now
  }

  /** The worker has just gone idle (its last reply sent). */
  idle(): void {
    const now = this.#clock.now()
    const worked = now - this.#workSince
    this.#idleSince = now
    if (!this.#backToBack || worked >= 10 * this.#budgetMs) return
    // Idle again within a spin (a task came and ran meanwhile): the same spin goes on.
    const spinning = this.#until !== 0
    this.#until = now + this.#budgetMs
    if (!spinning) this.#clock.later(this.#turn)
  }

  readonly #turn = (): void => {
    if (!this.#busy() && this.#clock.now() < this.#until) this.#clock.later(this.#turn)
    else this.#until = 0
  }
}
