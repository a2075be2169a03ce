/** One task of a client as the remote engine tracks it, and the client's function registry. */
import { type FnEntry, FunctionRegistry, type Task } from '@conc/core/engine'
import type { References } from './reference.js'
import type { FunctionRef } from './wire.js'

/** In this program, not yet added. */
export const LOCAL = 0
/** Its `add` is on its way to Redis. */
export const ADDING = 1
/** In Redis: waiting or running. */
export const ADDED = 2
/** Settled. */
export const DONE = 3

/** One task of this client, from `push` until it settles. */
export class Entry {
  state: typeof LOCAL | typeof ADDING | typeof ADDED | typeof DONE = LOCAL
  /** A host started it (its future is running). */
  started = false
  /** Its outcome is known, and settles once its error's class is imported: later news is ignored. */
  settling = false
  /** When the client last heard of its job; reconciliation reads jobs not heard of lately. */
  touched = 0
  /** Settles when the `add` that carried it has. */
  added: Promise<unknown> | undefined
  /** Unregisters its abort callback (one listener per signal, however many tasks share it). */
  offAbort: (() => void) | undefined
  /** The pack whose job carries it, if it travels in one. */
  pack: Pack | undefined

  /** The id of the job that carries it. */
  get jobId(): string {
    return this.pack?.id ?? this.id
  }

  /**
   * A chunk of `map` whose host ran only its first items (their results here): `id` and `args`
   * are then those of the job that carries the rest.
   */
  head: unknown[] | undefined

  constructor(
    public id: string,
    readonly task: Task,
    public args: string,
  ) {}
}

/** Several tasks of one fast function in one job (see the engine's `#packs`). */
export class Pack {
  constructor(
    readonly id: string,
    readonly members: readonly Entry[],
  ) {}

  /** Its tasks not settled yet. */
  get pending(): Entry[] {
    return this.members.filter((member) => member.state !== DONE && member.pack === this)
  }
}

/** Functions with the reference each travels as, looked up once per function. */
export class RemoteFunctions extends FunctionRegistry {
  readonly refs = new Map<FnEntry, Promise<FunctionRef>>()

  constructor(private readonly references: References) {
    super()
  }

  override get(fn: unknown, what?: string): FnEntry {
    const entry = super.get(fn, what)
    if (!this.refs.has(entry)) this.refs.set(entry, this.references.of(fn as object, entry.spec))
    return entry
  }
}
