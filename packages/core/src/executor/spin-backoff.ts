/**
 * The backoff of a worker thread's idle spin (executor/idle-spin.ts), used by @conc/threading's
 * entry, and of the program's watch for a reply (executor/reply-hold.ts): a file of its own, since
 * every unit loads it (`@conc/core/unit`), and idle-spin.ts only pool workers and programs with
 * pools.
 */

/**
 * How many spins in a row a worker thread skips, at most, after spins that the program did not
 * answer ({@link SpinBackoff}).
 */
export const MAX_SKIPPED_SPINS = 256

/**
 * When a worker thread's spin pays (@conc/threading's entry). A worker thread that spins after its
 * reply watches the *heard* word, which the program bumps when it takes a reply, and gives up (it
 * sleeps) when the program has not taken the reply within 30 µs: the program may be waiting for
 * this very CPU. Whether it is depends on where the kernel has put the two threads, and that lasts
 * for hundreds or thousands of calls. On this project's 2-vCPU machine, one awaited trivial task at
 * a time (bench/FINDINGS-pools.md, round 14): with the program and the worker pinned to separate
 * CPUs, 3 to 13 spins in 2,000 gave up, and the spin took the median from 46-55 µs to 8-34; pinned
 * to one CPU, every spin gave up, and such a call took 40-60 µs instead of 14-20 (the 90th
 * percentile 43-47 µs against 20-22 with no spin); left to the kernel, the threads mostly shared a
 * CPU, and half of the spins or all of them gave up.
 *
 * So a second miss with no spin between the two that caught its message (the program's next
 * message came during the spin: the spin paid) makes the worker skip its next spin, and each
 * further miss twice as many as the time before, up to MAX_SKIPPED_SPINS; a spin that catches its
 * message ends the backoff. Only that counts as paying: on one CPU the program does take a reply
 * in time now and then, and its next message is often waiting before a spin could start, and
 * ending the backoff on those (a version tried after a review) put the 99th percentile back up by
 * about 7 µs (54-57 against 39-51, left to the kernel, two alternated runs). Where spins pay, a miss is a moment (the
 * program busy, or waiting for a thread that the spinning worker keeps from its CPU), and the next
 * spin catches its message: an isolated miss skips nothing (pinned apart, 0 or 1 spin skipped in
 * 2,000 calls). Where spins do not pay, one idle time in MAX_SKIPPED_SPINS + 1 that would spin
 * tries again.
 */
export class SpinBackoff {
  readonly #max: number
  /** Spins still to skip. */
  #skip = 0
  /** Spins missed since the last that caught its message. */
  #misses = 0
  /** Spins skipped after the last miss (0: none since the last spin that caught its message). */
  #backoff = 0

  constructor(max = MAX_SKIPPED_SPINS) {
    this.#max = max
  }

  /** Whether the spin about to start is skipped (the worker sleeps at once); counts it. */
  skip(): boolean {
    if (this.#skip === 0) return false
    this.#skip--
    return true
  }

  /** The spin caught the program's next message: spins pay. */
  caught(): void {
    this.#misses = 0
    this.#backoff = 0
  }

  /** The spin gave up: the program had not taken the reply. */
  missed(): void {
    if (++this.#misses < 2) return
    this.#backoff = Math.min(this.#backoff === 0 ? 1 : this.#backoff * 2, this.#max)
    this.#skip = this.#backoff
  }
}
