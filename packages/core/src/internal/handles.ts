/**
 * Objects that reach a unit as handles to the same object rather than as copies (the primitives
 * of `sync/`; later a Manager's proxies): the protocol such an object carries, and the registry
 * of how each type is rebuilt on the other side.
 *
 * This module knows no type by name. A type carries a method under {@link kHandle} that says how
 * it travels, and registers by name how it is rebuilt ({@link registerHandleType}); so adding a
 * type never touches this file or the codec (`shared-codec.ts`), and `internal/` never imports
 * the types. The registry lives on `globalThis` under a registered symbol, like the unit context,
 * so that two copies of @conc in one isolate agree.
 */
import type { UnitHandle, UnitKind } from '../backend.js'
import type { UnitChannel } from '../unit.js'

/** The key of the protocol method: `object[kHandle](kind)` describes how `object` travels. */
export const kHandle: unique symbol = Symbol.for('@conc/handle')

/** Serves and recovers objects for the units they were sent to (for a primitive: its owner). */
export interface HandleHost {
  /**
   * `objects` were sent to the unit behind `handle`. Called once per message that carries
   * handles, so a long-lived unit (a pool worker) may be given more objects after it started.
   */
  attach(handle: UnitHandle, objects: readonly object[], kind: UnitKind): void
  /**
   * The message that carried `objects` to the unit behind `handle` is done with them (a pool
   * task's reply arrived): they need not be kept for that unit any longer, unless it still holds
   * something in them. Balances one {@link attach} of the same objects. Optional: a host without
   * it keeps what it was given until the unit exits.
   */
  release?(handle: UnitHandle, objects: readonly object[], kind: UnitKind): void
  /**
   * `objects` wait in a message not yet sent to any unit (a queued pool task), `delta` = +1, or
   * no longer (it was sent, or dropped), `delta` = -1. Optional.
   */
  queued?(objects: readonly object[], delta: 1 | -1): void
}

/** How one object travels to a unit of some kind. */
export interface HandleDescription {
  /** The name its type registered under (see {@link registerHandleType}). */
  readonly type: string
  /** A module whose import registers the type: the unit imports it when it meets the type. */
  readonly module: string
  /**
   * What the other side rebuilds it from. Encoded with the rest of the value, so it may hold
   * other handles (a condition's lock), shared references and `SharedArrayBuffer`s.
   */
  readonly data: unknown
  /** Told which units received the object; none when nothing has to be served. */
  readonly host?: HandleHost | undefined
}

/** An object that travels as a handle. */
export interface Handle {
  [kHandle](kind: UnitKind): HandleDescription
}

/** What a type's `rebuild` is given on the unit side. */
export interface RebuildContext {
  /** The unit's channel to its parent (a process's proxies send their requests on it). */
  readonly channel: UnitChannel
  /** Loader hooks to register before importing a module (see `internal/loader-hooks.ts`). */
  readonly loaderHooks: readonly string[]
  /** Rebuilt for one message that is released when done with (a pool task), not for the unit's life. */
  readonly leased?: boolean | undefined
}

/** How a registered type is rebuilt from its description's `data` (already decoded). */
export interface HandleType {
  rebuild(data: unknown, context: RebuildContext): object | Promise<object>
  /**
   * The message that brought `object` (one {@link rebuild}) is done with it: a pool task finished.
   * Optional; what a type keeps for a rebuilt object it may let go of then.
   */
  release?(object: object): void
}

interface Registry {
  readonly types: Map<string, HandleType>
  /** Some handle was created in this isolate: values must be searched for handles. */
  created: boolean
}

const registry = ((globalThis as Record<symbol, unknown>)[Symbol.for('@conc/handles')] ??= {
  types: new Map(),
  created: false,
}) as Registry

/** Registers how objects of type `name` are rebuilt; a second registration of a name is ignored. */
export function registerHandleType(name: string, type: HandleType): void {
  if (!registry.types.has(name)) registry.types.set(name, type)
}

export function handleType(name: string): HandleType | undefined {
  return registry.types.get(name)
}

/**
 * Called by every handle-carrying object when it is made. Until then no value can hold one, and
 * the codec passes values through without looking at them (task submission stays as fast as it
 * is without primitives).
 */
export function handleCreated(): void {
  registry.created = true
}

/** Whether a handle was ever made in this isolate. */
export function handlesExist(): boolean {
  return registry.created
}

export function isHandle(value: object): value is Handle {
  return typeof (value as Partial<Handle>)[kHandle] === 'function'
}
