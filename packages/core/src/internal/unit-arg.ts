/**
 * How a thread or process knows that @conc started it as a unit, before its runtime has the init
 * message: the backends add {@link UNIT_ARG} to its command line (`Worker`'s `argv`, `fork`'s
 * args), as Python's spawn adds `--multiprocessing-fork`. The entry code claims it and removes it,
 * so the target sees the `process.argv` it would see without it.
 *
 * This matters for bundled applications (see ARCHITECTURE.md, "Bundled applications"): there the
 * unit's entry is the bundle itself, whose own code runs before @conc's runtime starts, and must
 * see that it is not the program's main (`isMain()` is false) and may not start units.
 */
import { context } from './context.js'

/** The argument that marks a unit's command line. */
export const UNIT_ARG = '--conc-unit'

function markerIndex(): number {
  return process.argv.indexOf(UNIT_ARG, 1)
}

/**
 * True in a thread or process that @conc started as a unit whose runtime has not started yet.
 * From then on this isolate is bootstrapping: `isMain()` is false and starting a unit throws
 * `ERR_CONC_BOOTSTRAP` until the unit's target is found.
 */
export function isPendingUnit(): boolean {
  if (markerIndex() < 0) return false
  context.bootstrapping = true
  return true
}

/**
 * For a backend's entry code: true once, in a unit that @conc started, and the marker is removed
 * from `process.argv`. False anywhere else (the program itself, a thread or process that @conc
 * did not start), where the entry code must do nothing: in a bundle it is loaded everywhere.
 *
 * @example
 * ```ts
 * // a backend's entry file
 * if (parentPort !== null && claimUnit()) void runUnit(workerData, channel)
 * ```
 */
export function claimUnit(): boolean {
  if (!isPendingUnit()) return false
  process.argv.splice(markerIndex(), 1)
  // The lazy modules' condition (internal/unit-conditions.ts): the unit's own units get it again,
  // and the processes and threads its code starts do not inherit it from process.execArgv.
  const lazy = process.execArgv.indexOf(LAZY_FLAG)
  if (lazy >= 0) {
    process.execArgv.splice(lazy, 1)
    context.lazyUnits = true
  }
  return true
}

/** The flag that gives a unit the lazy public modules (see internal/unit-conditions.ts). */
export const LAZY_FLAG = '--conditions=conc-lazy'
