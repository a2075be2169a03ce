/**
 * The program's side of one awaited call at a time, on worker threads: after it sends a worker a
 * short call alone (nothing else of the pool queued or running), the program watches, for a few
 * tens of microseconds, the word the worker bumps after each message it posts, before its event
 * loop would sleep; the reply is then taken by the next turn of the loop without the kernel having
 * to wake the program.
 *
 * Why: a worker thread that spins after its reply (idle-spin.ts) takes the next call in about a
 * microsecond and answers a trivial one about 3 µs after it was sent, but by then the program has
 * gone to sleep in its event loop, and on a virtual machine the wake-up of a sleeping CPU is the
 * larger part of the round trip. Measured on this project's 2-vCPU machine, one trivial call at a
 * time, with timestamps on both sides: sent to seen by the worker 1.2 µs, run and answered 2.0,
 * answered to taken by the program 5-18 µs, the program asleep on every call; with the hold, the
 * median round trip went from 15-28 µs to 5.5-8.6, the 99th percentile from 42-72 to 8-64
 * (bench/FINDINGS-pools.md, round 16). A raw `Worker`
 * round trip with a worker that polls is about 3 µs on the same machine, with the program asleep
 * on 1 call in 100: its post comes before the program's loop gets to sleep.
 *
 * The watch runs in an immediate (the check phase, before the loop next polls), so the code that
 * sent the call finishes first, and lasts at most the budget; it ends as soon as the worker has
 * posted. Watches that run out (the worker was slower, or could not run because the program held
 * the CPU it needed: one CPU) make the next ones skipped, as a worker's spins are (spin-backoff.ts).
 * With one CPU there is nothing to gain, and it is not armed.
 */
import type { UnitHandle } from '../backend.js'
import { SpinBackoff } from './spin-backoff.js'
import { watchUntil } from './idle-spin.js'

/** A word that the unit bumps after each message it posts (`UnitHandle.posted`: a thread's shared memory). */
export type PostedWord = NonNullable<UnitHandle['posted']>

/** How the hold waits and schedules (tests give their own). */
export interface HoldClock {
  now(): number
  /** Runs `fn` before the event loop next polls (`setImmediate`). */
  later(fn: () => void): void
  /** `watchUntil`: true when the word moved from `value` before `until`. */
  watch(word: Int32Array, index: number, value: number, from: number, until: number): boolean
}

const realClock: HoldClock = {
  now: () => performance.now(),
  later: (fn) => void setImmediate(fn),
  watch: watchUntil,
}

/**
 * The longest a call's function may take, as measured (`FnEntry.avgMs`, ms), for the program to
 * hold for its reply: its reply must be expected well within the budget.
 */
export const HOLD_FN_MS = 0.02

/**
 * How long the program holds for a reply at most, in ms: `CONC_REPLY_HOLD_US` microseconds from
 * the environment (50 is a good value: a trivial call's reply comes 3-6 µs after it was sent); 0,
 * unset, or anything that is not a number of microseconds: no hold. Off by default: in
 * bench:pools's latency row (contenders that each sit idle for seconds while the others run) the
 * hold took the median from 16 µs to 14 but the 99th percentile from 51 to 59, and after idle
 * spells of 2 s most rounds ran at 14 µs with a worse 99th percentile (46-66 µs against 43-51),
 * while calls that keep coming ran 3x faster with a better one (bench/FINDINGS-pools.md, round 16).
 */
export function replyHoldMs(env: Record<string, string | undefined> = process.env): number {
  const value = env.CONC_REPLY_HOLD_US
  if (value === undefined || value.trim() === '') return 0
  const us = Number(value)
  return Number.isFinite(us) && us > 0 ? us / 1000 : 0
}

export class ReplyHold {
  readonly #posted: PostedWord
  readonly #budgetMs: number
  readonly #alone: () => boolean
  readonly #clock: HoldClock
  readonly #backoff = new SpinBackoff()
  /** A hold is scheduled and has not run yet. */
  #armed = false
  /** The posted count it waits to see move. */
  #before = 0

  /**
   * @param alone whether the call is still the pool's only work when the hold runs (more may have
   *   been submitted since it was sent: the program is then busy, and does not hold)
   */
  constructor(posted: PostedWord, budgetMs: number, alone: () => boolean = () => true, clock: HoldClock = realClock) {
    this.#posted = posted
    this.#budgetMs = budgetMs
    this.#alone = alone
    this.#clock = clock
  }

  /** The unit's posted count now: read it before sending the call, and give it to {@link arm}. */
  count(): number {
    const { word, index } = this.#posted
    return Atomics.load(word, index)
  }

  /**
   * Makes one hold, before the event loop next sleeps, for a post after `before` (the count read
   * before the call was sent: a reply posted since is then not missed). Armed again before the
   * hold runs, it holds for the newest call.
   */
  arm(before: number): void {
    if (this.#armed) {
      this.#before = before
      return
    }
    if (this.#backoff.skip()) return
    this.#armed = true
    this.#before = before
    this.#clock.later(this.#hold)
  }

  readonly #hold = (): void => {
    this.#armed = false
    if (!this.#alone()) return
    const { word, index } = this.#posted
    const now = this.#clock.now()
    if (this.#clock.watch(word, index, this.#before, now, now + this.#budgetMs)) this.#backoff.caught()
    else this.#backoff.missed()
  }
}

/**
 * A hold for `posted` when the environment and the machine allow one (a budget above 0, more
 * than one CPU for the program: with one, the program's watch would keep the worker from
 * answering); else undefined.
 */
export function replyHold(posted: PostedWord | undefined, alone: () => boolean, budgetMs = replyHoldMs(), cpus?: number): ReplyHold | undefined {
  if (posted === undefined || budgetMs <= 0) return undefined
  if ((cpus ?? process.getBuiltinModule('node:os').availableParallelism()) <= 1) return undefined
  return new ReplyHold(posted, budgetMs, alone)
}
