/**
 * Benchmark: start-up cost of one runner, `start()` + `join()` of a trivial target, against the
 * raw Node primitive doing the same work (import the target's module, call it, exit).
 *
 *   pnpm bench                       # from the repository root: builds, then runs this
 *   node bench/runner-startup.mjs    # packages must be built
 *
 * Options (env): BENCH_THREAD_ROUNDS (30), BENCH_PROCESS_ROUNDS (20), BENCH_WARMUP (3),
 * BENCH_NO_WRITE=1 (print only, do not write results/ and README.md).
 *
 * This module is the target's module: every unit imports it again, so its entry code is guarded
 * with isMain(import.meta), and the harness is imported inside the guard. Its static imports are
 * what a course-style program has: `Thread` and `isMain` from @conc/threading.
 */
import { Thread, isMain } from '@conc/threading'

/** The trivial target. */
export function trivial(x) {
  return x + 1
}

if (isMain(import.meta)) {
  const { Process } = await import('@conc/multiprocessing')
  const { main, driver } = await import('./lib/runner-startup-main.mjs')
  // The runners are constructed here, in the target's module, so that the target travels by
  // reference to this module (core records the module that calls `new Thread(...)`).
  const make = {
    thread: (target, args) => new Thread({ target, args }),
    process: (target, args) => new Process({ target, args }),
  }
  if (process.argv[2] === '--driver') await driver(import.meta.url, trivial, make)
  else await main(import.meta.url, trivial, make)
}
