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
}

const kContext = Symbol.for('@conc/context')
const holder = ((globalThis as Record<symbol, unknown>)[kContext] ??= {
  unit: undefined,
  bootstrapping: false,
}) as ContextHolder

export const context: ContextHolder = holder
