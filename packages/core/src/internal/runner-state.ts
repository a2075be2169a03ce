/**
 * A runner's state, kept under a registered symbol so that it survives being given to an object
 * made without the constructor (the unit runtime's current runner, `MainThread`). Split from
 * runner.ts so that the unit runtime can set it without loading the runner and what it imports.
 */
import type { UnitBackend, UnitHandle, UnitKind } from '../backend.js'
import { RuntimeError } from '../errors.js'
import type { UnitInit } from './wire.js'

type AnyFunction = (...args: never[]) => unknown

export type Status = 'initial' | 'started' | 'stopped'

export interface RunnerState {
  readonly backend: UnitBackend | undefined
  readonly kind: UnitKind
  name: string
  daemon: boolean
  readonly target: AnyFunction | undefined
  readonly args: readonly unknown[]
  readonly caller: string | undefined
  readonly identity: readonly number[]
  status: Status
  /** This object stands for the unit the code is running in (`currentThread()`). */
  readonly current: boolean
  ident: number | null
  exitCode: number | null
  handle: UnitHandle | undefined
  exited: Promise<void> | undefined
  uncaught: { readonly value: unknown } | undefined
  joiners: number
}

export const kState = Symbol.for('@conc/runner-state')
export function state(runner: object): RunnerState {
  const s = (runner as unknown as Record<symbol, RunnerState | undefined>)[kState]
  if (s === undefined) throw new RuntimeError(`${(runner as { constructor: { name: string } }).constructor.name}.__init__() not called`)
  return s
}

export function setState(runner: object, s: RunnerState): void {
  Object.defineProperty(runner, kState, { value: s, configurable: true, writable: true })
}

/**
 * Gives a runner object the state of the unit it runs in: what `currentThread()` returns inside
 * a thread, and `MainThread`. Not public API.
 */
export function adoptAsCurrent(
  runner: object,
  init: Pick<UnitInit, 'kind' | 'name' | 'daemon' | 'identity' | 'args'>,
  target: AnyFunction | undefined,
  ident: number,
): void {
  setState(runner, {
    backend: undefined,
    kind: init.kind,
    name: init.name,
    daemon: init.daemon,
    target,
    args: init.args,
    caller: undefined,
    identity: init.identity,
    status: 'started',
    current: true,
    ident,
    exitCode: null,
    handle: undefined,
    exited: undefined,
    uncaught: undefined,
    joiners: 0,
  })
}

