/**
 * A native promise that its owner settles later: what `Future` and `AsyncResult` are made of.
 *
 * `await x` and `Promise.all` take `x` as it is only when it is a native promise whose
 * `constructor` is `Promise`. Anything else (a thenable, or a subclass with its own `constructor`)
 * gets a wrapper promise, a job that calls its `then` in a microtask and a derived promise: about
 * 350 bytes more per awaited call, which a burst of 50,000 calls keeps alive all at once
 * (bench/FINDINGS-pools.md, round 15). So these classes are `Promise` subclasses whose prototype's
 * `constructor` is `Promise` ({@link awaitedAsIs}) and whose species is `Promise` (promises derived
 * from them are plain promises, and no subclass is constructed with an executor for them).
 *
 * One shared executor function captures the resolving functions, so a promise has no closure of
 * its own beyond the two the `Promise` constructor makes. Both are kept: rejecting through
 * `resolve(rejectedPromise)` would settle two microtasks late, after a value set later (a
 * `Promise.race` would pick the value).
 *
 * @internal
 * @module
 */
import { isThenable } from '../internal/thenable.js'
import { raceTimeout } from '../internal/timeout.js'

// Called as Promise's own `then`, whatever a subclass puts on its prototype.
const promiseThen = Promise.prototype.then

/** What a promise is made with; read back at once by the constructor (no closure per promise). */
let madeResolve: ((value: unknown) => void) | undefined
let madeReject: ((error: unknown) => void) | undefined
const capture = (resolve: (value: unknown) => void, reject: (error: unknown) => void): void => {
  madeResolve = resolve
  madeReject = reject
}
/** Marks a rejection as handled. */
const ignore = (): void => undefined

let settle: (promise: OwnedPromise<unknown>, ok: boolean, outcome: unknown) => void

/**
 * Settles `promise` once: with `value` when `ok`, else with the error `value`. A failure, and a
 * value that is a thenable (it may fail), is marked handled first: these promises keep their
 * outcome until asked, and nobody need await one (Python's futures and `AsyncResult`s). Later
 * calls do nothing.
 */
export function settleOwned(promise: OwnedPromise<unknown>, ok: boolean, value: unknown): void {
  settle(promise, ok, value)
}

/** A promise that follows `promise` and is handled: for waits that read the outcome elsewhere. */
export function settledOf(promise: Promise<unknown>): Promise<void> {
  return promiseThen.call(promise, ignore, ignore) as Promise<void>
}

/**
 * Waits up to `ms` for a release that the owner calls when it settles: the release goes into
 * `waiters` (the owner's list, which it calls and drops on settling) and is taken out again however
 * the wait ends, so a loop of short waits on a long call leaves nothing behind.
 */
export async function releasedWithin(waiters: ((...args: never[]) => void)[], ms: number): Promise<void> {
  let release!: () => void
  const released = new Promise<void>((resolve) => waiters.push((release = () => resolve())))
  try {
    await raceTimeout(released, ms)
  } finally {
    const i = waiters.indexOf(release)
    if (i >= 0) waiters.splice(i, 1)
  }
}

/** A plain promise with `promise`'s outcome, not marked handled: what an `async` method would return. */
export function followerOf<T>(promise: Promise<T>): Promise<T> {
  return promiseThen.call(promise) as Promise<T>
}

/**
 * The base of `Future` and `AsyncResult`. Each subclass calls {@link awaitedAsIs} on itself, and
 * refuses an executor before `super()` (Promise's statics construct `this` with one).
 */
export abstract class OwnedPromise<T> extends Promise<T> {
  #resolve: ((value: unknown) => void) | undefined
  #reject: ((error: unknown) => void) | undefined

  protected constructor() {
    super(capture as (resolve: (value: T) => void, reject: (error: unknown) => void) => void)
    this.#resolve = madeResolve
    this.#reject = madeReject
    madeResolve = madeReject = undefined
  }

  /**
   * Promises made from these (`then`, `catch`, `finally`) are plain promises, also for a
   * subclass whose prototype keeps its own `constructor` (a user's subclass of `Future`).
   */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise
  }

  static {
    settle = (promise, ok, value) => {
      const resolve = promise.#resolve
      const reject = promise.#reject
      if (resolve === undefined || reject === undefined) return
      promise.#resolve = promise.#reject = undefined
      // Handled before it can fail (Promise's own `then`: a subclass's is not involved).
      if (!ok || isThenable(value)) promiseThen.call(promise, undefined, ignore)
      if (ok) resolve(value)
      else reject(value)
    }
  }
}

/**
 * Makes `await` and `Promise.all` take instances of `cls` as they are: its prototype's
 * `constructor` becomes `Promise` (messages name these classes by `Symbol.toStringTag`:
 * internal/messages.ts, `className`).
 */
export function awaitedAsIs(cls: abstract new (...args: never[]) => Promise<unknown>): void {
  Object.defineProperty(cls.prototype, 'constructor', { value: Promise, writable: true, configurable: true, enumerable: false })
}
