/**
 * What every primitive is made of: a public object (the API, argument checks, Python's messages)
 * over a {@link Backend} that performs operations on the state. The state lives in shared memory
 * in the process that created the primitive; a thread of that process gets a `LocalBackend` over
 * the same memory, a child process gets a `RemoteBackend` that asks the owner over IPC.
 */
import type { UnitKind } from '../../backend.js'
import { RuntimeError } from '../../errors.js'
import { nextNumber } from '../../internal/process-shared.js'
import { type HandleDescription, handleCreated, kHandle } from '../../internal/handles.js'
import { findHandle } from '../../internal/shared-codec.js'
import { localOwner } from './wait.js'

/** Who performs an operation, and how it may be given up. */
export interface OpContext {
  /** The owner id: `threadId + 1` for a thread of this process, negative for a remote owner. */
  readonly owner: number
  readonly signal: AbortSignal | undefined
  /** The request came from another process over IPC (see {@link Undoable}). */
  readonly remote: boolean
}

/** The state of a primitive: plain methods `(ctx, ...args)` named by its operations. */
export interface SharedState {
  /** Plain data (with its `SharedArrayBuffer`s) from which another thread rebuilds this state. */
  toShared(): unknown
  /**
   * A unit ended (`died`: killed or crashed): undo what `owner` holds so that others do not
   * deadlock; see docs/primitives.md.
   */
  recover(ctx: OpContext, died?: boolean): void
  /**
   * Whether `owner` holds something here that {@link recover} would undo (a lock it took, the
   * internal mutex). A unit done with a primitive that holds nothing in it need not be recovered
   * for it. Absent: never.
   */
  holds?(ctx: OpContext): boolean
}

/**
 * A result that must reach a live receiver: the server keeps `undo` until the receiver
 * acknowledges, and runs it if the receiver dies first (a queue item goes back to the front).
 */
export class Undoable {
  constructor(
    readonly value: unknown,
    readonly undo: () => void,
  ) {}
}

export interface CallContext {
  readonly signal?: AbortSignal | undefined
  /** Perform the operation on behalf of another owner (the server does this for its units). */
  readonly as?: { readonly key: string; readonly num: number } | undefined
}

export interface Backend {
  /** The shared-memory state when it is in this process, else `undefined`. */
  readonly state: SharedState | undefined
  call(op: string, args: readonly unknown[], ctx?: CallContext): Promise<unknown>
  /**
   * How the primitive travels, when its backend decides it (a manager's proxy travels as a proxy);
   * otherwise travel.ts describes it from its state.
   */
  describe?(primitive: Primitive, kind: UnitKind): HandleDescription
  /** Calls that touch no shared state wait here (a child finishes only when its writes landed). */
}

/**
 * A new owner id for a unit (or a manager's peer) served by this thread: negative, so it never
 * meets a thread's `threadId + 1`, and from one counter for every server of the process (the
 * primitives', a manager's, in any thread), so two of them never hand out the same id for one
 * state: a state in shared memory is reached by every thread's server.
 */
export function newRemoteOwner(): number {
  return -nextNumber('owner')
}

/** The context of an operation by this thread on a state in its own memory. */
export const LOCAL: OpContext = Object.freeze({ owner: localOwner, signal: undefined, remote: false })

/** Operations on a state in this process's memory. */
export class LocalBackend implements Backend {
  constructor(readonly state: SharedState) {}
  call(op: string, args: readonly unknown[], ctx?: CallContext): Promise<unknown> {
    try {
      const fn = (this.state as unknown as Record<string, unknown>)[op]
      if (typeof fn !== 'function' || op === 'toShared') throw new TypeError(`no operation '${op}'`)
      const opCtx: OpContext = { owner: ctx?.as?.num ?? localOwner, signal: ctx?.signal, remote: ctx?.as !== undefined }
      return Promise.resolve((fn as (...a: unknown[]) => unknown).call(this.state, opCtx, ...args))
    } catch (error) {
      return Promise.reject(error)
    }
  }
}

export const kBackend = Symbol('@conc/sync-backend')
export const kDescribe = Symbol('@conc/sync-describe')
/**
 * Set on primitives whose units each hold a copy (a pipe end): the owner is told when a unit is
 * given one (`given`) and when a unit is done with the message that gave it (`left`).
 */
export const kCopies = Symbol('@conc/sync-copies')

/** How a primitive travels: its type and the data the other side rebuilds it from. */
export interface Description {
  readonly type: string
  /** Passed through the argument codec, so it may contain other primitives (a condition's lock). */
  readonly meta: unknown
}

let adopted: Backend | undefined

/** How a primitive travels as a handle; set by travel.ts, which every primitive's module imports. */
let describeHandle: ((primitive: Primitive, kind: UnitKind) => HandleDescription) | undefined

/** @internal */
export function setHandleDescriber(describe: (primitive: Primitive, kind: UnitKind) => HandleDescription): void {
  describeHandle = describe
}

/** Builds a public object over an existing backend (a rebuilt or remote primitive). */
export function adopt<T>(backend: Backend, make: () => T): T {
  adopted = backend
  try {
    return make()
  } finally {
    adopted = undefined
  }
}

/** The base of every primitive. Not constructed directly. */
export abstract class Primitive {
  /** @internal */
  declare readonly [kBackend]: Backend

  protected constructor(create: () => SharedState) {
    const backend = adopted ?? new LocalBackend(create())
    adopted = undefined
    Object.defineProperty(this, kBackend, { value: backend })
    handleCreated()
  }

  /** @internal */
  abstract [kDescribe](dest: string): Description

  /** @internal How it travels to a unit of `kind`: the handle protocol of internal/handles.ts. */
  [kHandle](kind: UnitKind): HandleDescription {
    if (describeHandle === undefined) throw new TypeError('@conc: the primitives were loaded without sync/internal/travel.js')
    return describeHandle(this, kind)
  }

  /** Runs operation `op` where the state lives. */
  protected op<T>(op: string, args: readonly unknown[] = [], signal?: AbortSignal): Promise<T> {
    return this[kBackend].call(op, args, signal === undefined ? undefined : { signal }) as Promise<T>
  }

  /** The state, when it is in this process's memory. */
  protected get local(): SharedState | undefined {
    return this[kBackend].state
  }
}

export function isPrimitive(value: unknown): value is Primitive {
  return typeof value === 'object' && value !== null && kBackend in value
}

/**
 * Python's rule: primitives reach a unit "through inheritance" (runner args, pool initargs, task
 * arguments), not inside messages: a primitive sent on a queue or pipe, at any depth, raises.
 */
export function refuseInMessage(item: unknown): void {
  const found = findHandle(item)
  if (found !== undefined) {
    const type = isPrimitive(found) ? found[kDescribe]('process').type : found.constructor.name
    throw new RuntimeError(`${type} objects should only be shared between units through inheritance (pass them in args)`)
  }
}
