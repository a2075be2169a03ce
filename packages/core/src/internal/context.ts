/**
 * What this isolate knows about itself: whether it is a unit started by @conc (and which), and
 * whether it is still importing its target's module. Kept on `globalThis` under a registered
 * symbol so that two copies of @conc in one isolate agree.
 */
import type { UnitKind } from '../backend.js'

export interface UnitContext {
  readonly kind: UnitKind
  readonly name: string
  readonly daemon: boolean
  readonly identity: readonly number[]
  readonly parent: { readonly pid: number; readonly name: string }
  /** The runner object that represents this unit (what `currentThread()` returns). */
  runner: object | undefined
  /**
   * Makes `runner` on first use, from the caller's runner class: the unit runtime does not load a
   * runner class itself, so a unit whose target never asks pays nothing for it.
   */
  makeRunner?: ((RunnerClass: abstract new (...args: never[]) => object) => object) | undefined
}

interface ContextHolder {
  unit: UnitContext | undefined
  /** True while the unit imports its target's module: starting a unit then is a fork bomb. */
  bootstrapping: boolean
  /**
   * Set once shared primitives are loaded in this isolate: waits until the operations a unit did
   * not wait for were applied. The unit runtime calls it before the unit ends.
   */
  settle?: (() => Promise<void>) | undefined
  /** This unit was started with the lazy modules' condition, which its own units get too. */
  lazyUnits?: boolean | undefined
  /**
   * The recoveries scheduled for the unit behind each handle that ended, by the modules that
   * recover what a unit held (primitives, managed objects): see unitRecovered.
   */
  recoveries?: WeakMap<object, Promise<unknown>[]> | undefined
}

const kContext = Symbol.for('@conc/context')
const holder = ((globalThis as Record<symbol, unknown>)[kContext] ??= {
  unit: undefined,
  bootstrapping: false,
}) as ContextHolder

export const context: ContextHolder = holder

/**
 * Adds `step` to what the unit runtime settles before the unit ends (`context.settle`): it runs
 * first, then whatever was there before. Each module with something to settle adds its own once.
 */
export function addSettle(step: () => Promise<void>): void {
  const previous = context.settle
  context.settle = async () => {
    await step()
    await previous?.()
  }
}

/** Records `recovery`, scheduled for the unit behind `handle` when it ended (see {@link unitRecovered}). */
export function addRecovery(handle: object, recovery: Promise<unknown>): void {
  const recoveries = (context.recoveries ??= new WeakMap())
  const list = recoveries.get(handle)
  if (list === undefined) recoveries.set(handle, [recovery])
  else list.push(recovery)
}

/** The longest a runner's `join()` waits for a dead unit's recovery (a parent or manager that stopped answering). */
const RECOVERY_WAIT_MS = 2000

/**
 * Resolves once what the unit behind `handle` held has been recovered (locks released, barriers
 * broken, queue items handed back), or after RECOVERY_WAIT_MS, keeping the program alive
 * meanwhile (a recovery waits on an unref'd timer); call it once every exit listener of the
 * handle has run.
 */
export async function unitRecovered(handle: object): Promise<void> {
  const waits = context.recoveries?.get(handle)
  if (waits === undefined) return
  // The timer keeps the program alive until the recoveries are done, or it fires.
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, RECOVERY_WAIT_MS)))
  try {
    await Promise.race([Promise.allSettled(waits), late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Loads the library for every lazy public module of this isolate (`dist/lazy.js`, which registers
 * its loader on `globalThis`), before the runtime imports a chunk of the library itself: the
 * modules' exports are then the classes the runtime uses, and no `require()` of the library
 * starts while an `import()` of it is still loading (Node 20's loader cannot finish that).
 */
export function loadLazyModules(): void {
  const loads = (globalThis as Record<symbol, Set<() => unknown> | undefined>)[Symbol.for('@conc/lazy-facade.loads')]
  if (loads !== undefined) for (const load of loads) load()
}
