/**
 * Python's `Barrier`.
 *
 * @module
 */
import { type TargetSpec, callerModule, targetSpec } from '../internal/target-ref.js'
import { checkInteger, checkSeconds } from '../internal/validate.js'
import { BrokenBarrierError } from './errors.js'
import { type WaitOptions, parseWait } from './internal/options.js'
import { type Description, type OpContext, Primitive, type SharedState, kDescribe } from './internal/shared.js'
import { registerPrimitive } from './internal/travel.js'
import { bump, deadlineOf, lockWord, recoverWord, unlockWord, waitChange } from './internal/wait.js'

const MUTEX = 0
const SEQ = 1
const GEN = 2
const COUNT = 3
const BROKEN = 4
/** `g + 1` when generation `g` ended broken (so its waiters raise), 0 before any. */
const BROKEN_GEN = 5
const PARTIES = 6
/** The owner that arrived last and runs the action, until it trips the barrier. */
const TRIPPER = 7

/** What the wait operation tells the caller: its arrival index, and whether it must trip. */
export interface Arrival {
  readonly index: number
  readonly last: boolean
  readonly gen: number
}

/** Barrier state: generation, arrivals and the broken flag, under a short internal mutex. */
export class BarrierState implements SharedState {
  constructor(readonly i32: Int32Array) {}
  static create(parties: number): BarrierState {
    const state = new BarrierState(new Int32Array(new SharedArrayBuffer(32)))
    state.i32[PARTIES] = parties
    return state
  }
  static fromShared(shared: unknown): BarrierState {
    return new BarrierState(new Int32Array(shared as SharedArrayBuffer))
  }
  toShared(): unknown {
    return this.i32.buffer
  }
  private brokenIn(gen: number): boolean {
    return Atomics.load(this.i32, BROKEN_GEN) === gen + 1
  }
  /** Breaks generation `gen` if it is still the current one. Caller holds the mutex. */
  private breakLocked(gen: number): void {
    if (Atomics.load(this.i32, GEN) !== gen) return
    Atomics.store(this.i32, BROKEN, 1)
    Atomics.store(this.i32, BROKEN_GEN, gen + 1)
    bump(this.i32, SEQ)
  }
  async wait(ctx: OpContext, ms: number | undefined): Promise<Arrival> {
    const i32 = this.i32
    const deadline = deadlineOf(ms)
    const parties = Atomics.load(i32, PARTIES)
    lockWord(i32, MUTEX, ctx.owner)
    // The previous generation is still being released by its last party: wait for it.
    while (Atomics.load(i32, COUNT) >= parties && Atomics.load(i32, BROKEN) === 0) {
      const seq = Atomics.load(i32, SEQ)
      unlockWord(i32, MUTEX)
      await waitChange(i32, SEQ, seq, deadline, ctx.signal)
      lockWord(i32, MUTEX, ctx.owner)
    }
    if (Atomics.load(i32, BROKEN) === 1) {
      unlockWord(i32, MUTEX)
      throw new BrokenBarrierError()
    }
    const gen = Atomics.load(i32, GEN)
    const index = Atomics.add(i32, COUNT, 1)
    if (index === parties - 1) {
      Atomics.store(i32, TRIPPER, ctx.owner)
      unlockWord(i32, MUTEX)
      return { index, last: true, gen }
    }
    let seq = Atomics.load(i32, SEQ)
    unlockWord(i32, MUTEX)
    for (;;) {
      if (Atomics.load(i32, GEN) !== gen) {
        if (this.brokenIn(gen)) throw new BrokenBarrierError()
        return { index, last: false, gen }
      }
      if (Atomics.load(i32, BROKEN) === 1) throw new BrokenBarrierError()
      let outcome: 'changed' | 'timed-out'
      try {
        outcome = await waitChange(i32, SEQ, seq, deadline, ctx.signal)
      } catch (error) {
        this.breakGen(ctx, gen)
        throw error
      }
      if (outcome === 'timed-out' && Atomics.load(i32, GEN) === gen) {
        this.breakGen(ctx, gen)
        throw new BrokenBarrierError()
      }
      seq = Atomics.load(i32, SEQ)
    }
  }
  private breakGen(ctx: OpContext, gen: number): void {
    lockWord(this.i32, MUTEX, ctx.owner)
    this.breakLocked(gen)
    unlockWord(this.i32, MUTEX)
  }
  /** The last party ran the action: release everyone (`ok`), or break the barrier. */
  trip(ctx: OpContext, gen: number, ok: boolean): void {
    const i32 = this.i32
    lockWord(i32, MUTEX, ctx.owner)
    if (Atomics.load(i32, GEN) === gen) {
      Atomics.store(i32, TRIPPER, 0)
      if (ok) {
        Atomics.store(i32, COUNT, 0)
        Atomics.add(i32, GEN, 1)
        bump(i32, SEQ)
      } else {
        this.breakLocked(gen)
      }
    }
    unlockWord(i32, MUTEX)
  }
  abort(ctx: OpContext): void {
    lockWord(this.i32, MUTEX, ctx.owner)
    this.breakLocked(Atomics.load(this.i32, GEN))
    unlockWord(this.i32, MUTEX)
  }
  reset(ctx: OpContext): void {
    const i32 = this.i32
    lockWord(i32, MUTEX, ctx.owner)
    const gen = Atomics.load(i32, GEN)
    if (Atomics.load(i32, COUNT) > 0 && Atomics.load(i32, BROKEN) === 0) Atomics.store(i32, BROKEN_GEN, gen + 1)
    Atomics.store(i32, COUNT, 0)
    Atomics.store(i32, BROKEN, 0)
    Atomics.store(i32, TRIPPER, 0)
    Atomics.add(i32, GEN, 1)
    bump(i32, SEQ)
    unlockWord(i32, MUTEX)
  }
  nWaiting(_ctx: OpContext): number {
    const count = Atomics.load(this.i32, COUNT)
    return Atomics.load(this.i32, BROKEN) === 1 || count >= Atomics.load(this.i32, PARTIES) ? 0 : count
  }
  broken(_ctx: OpContext): boolean {
    return Atomics.load(this.i32, BROKEN) === 1
  }
  /**
   * A unit that ends while it releases a generation breaks the barrier (its action never
   * finished). A unit that dies (killed, crashed) holding the barrier breaks it, whether it was
   * waiting, between waits or had never called it: it may be one of the parties, and it can never
   * arrive now, so the others get `BrokenBarrierError` instead of waiting forever.
   */
  /** It runs the action as the last party, or is inside an update. */
  holds(ctx: OpContext): boolean {
    return Atomics.load(this.i32, TRIPPER) === ctx.owner || Atomics.load(this.i32, MUTEX) === ctx.owner
  }
  recover(ctx: OpContext, died = true): void {
    recoverWord(this.i32, MUTEX, ctx.owner)
    if (Atomics.load(this.i32, TRIPPER) === ctx.owner) return this.trip(ctx, Atomics.load(this.i32, GEN), false)
    if (died && Atomics.load(this.i32, BROKEN) === 0) this.abort(ctx)
  }
}

/** How a barrier travels: its size, default timeout and action (by reference, like a target). */
export interface BarrierMeta {
  readonly parties: number
  readonly timeout: number | null
  readonly action: TargetSpec | null
}

/**
 * Python's `Barrier(parties, action=None, timeout=None)`: `parties` units wait until all have
 * arrived; the last one runs `action` (in its own unit) before all are released. Cyclic.
 *
 * @example
 * ```ts
 * const barrier = new Barrier(3)
 * const index = await barrier.wait()   // 0..2, one each
 * ```
 */
export class Barrier extends Primitive {
  /** How many parties must arrive. */
  readonly parties: number
  /** The default timeout of `wait()`, in seconds. */
  readonly timeout: number | null
  readonly #action: (() => unknown) | undefined
  readonly #caller = callerModule()

  /**
   * @param parties - how many units wait for each other (at least 1)
   * @param action - run by the last party to arrive, before the others are released; when the
   *   barrier is shared with other units it must be exported from its module (it travels by
   *   reference, like a target)
   * @param timeout - the default timeout of `wait()`, in seconds
   * @throws {ValueError} when `parties < 1`; {TypeError} when `parties` is not an integer or
   *   `timeout` not a number
   */
  constructor(parties: number, action?: (() => unknown) | null, timeout?: number | null) {
    checkInteger(parties, 'parties', 1, 'parties must be >= 1')
    checkSeconds(timeout)
    super(() => BarrierState.create(parties))
    this.parties = parties
    this.timeout = timeout ?? null
    this.#action = action ?? undefined
  }

  /**
   * Waits until all parties arrived; returns this party's arrival index (0 … parties-1).
   *
   * @throws {BrokenBarrierError} when the barrier is or becomes broken (abort, reset, a timeout
   *   of any party, or a failing action), or the action's error for the party that ran it
   */
  async wait(timeout?: number | null | WaitOptions): Promise<number> {
    const given: WaitOptions = typeof timeout === 'object' && timeout !== null ? timeout : { timeout }
    const o = parseWait({ signal: given.signal, timeout: given.timeout ?? this.timeout })
    const arrival = await this.op<Arrival>('wait', [o.ms], o.signal)
    if (!arrival.last) return arrival.index
    try {
      await this.#action?.()
    } catch (error) {
      await this.op('trip', [arrival.gen, false])
      throw error
    }
    await this.op('trip', [arrival.gen, true])
    return arrival.index
  }

  /** Breaks the barrier: current and future waiters get `BrokenBarrierError` until `reset()`. */
  abort(): Promise<void> {
    return this.op('abort')
  }

  /** Returns the barrier to empty; current waiters get `BrokenBarrierError`. */
  reset(): Promise<void> {
    return this.op('reset')
  }

  /** How many parties are waiting now (Python's `n_waiting`). */
  get nWaiting(): Promise<number> {
    return this.op('nWaiting')
  }

  /** Whether the barrier is broken. */
  get broken(): Promise<boolean> {
    return this.op('broken')
  }

  /** @internal */
  override [kDescribe](): Description {
    const action = this.#action === undefined ? null : targetSpec(this.#action, this.#caller)
    return { type: 'Barrier', meta: { parties: this.parties, timeout: this.timeout, action } satisfies BarrierMeta }
  }

  override toString(): string {
    return `<Barrier parties=${this.parties}>`
  }
}

registerPrimitive('Barrier', import.meta.url, {
  state: BarrierState.fromShared,
  async build(meta, { loaderHooks }) {
    const { parties, timeout, action } = meta as unknown as BarrierMeta
    // The action travels by reference, like a target; the unit runtime's resolver finds it.
    const { resolveTarget } = await import('../internal/resolve-target.js')
    const fn = action === null ? null : ((await resolveTarget(action, loaderHooks)).fn as () => unknown)
    return () => new Barrier(parties, fn, timeout)
  },
})
