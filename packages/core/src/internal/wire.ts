/**
 * Messages between a parent and a unit. Every message is an object with a string tag `t`; core's
 * runner uses `uncaught`, and each feature built on the seam (pools, shared primitives) owns its
 * own tags and ignores the others.
 */
import type { UnitKind } from '../backend.js'
import type { SerializedThrown } from './error-transport.js'
import type { TargetSpec } from './target-ref.js'

/** Any message on the seam, in either direction. */
export interface WireMessage {
  readonly t: string
}

/** How a runner subclass travels: its class by reference, its own fields by value. */
export interface SubclassSpec {
  /** The module that defines or exports the class, else the calling module. */
  readonly module: string | undefined
  readonly exportName: string
  /** Its place among `module`'s exports, when found there by identity. */
  readonly path?: readonly string[] | undefined
  /** The calling module, tried after `module` when they differ. */
  readonly caller?: string | undefined
  readonly fields: Record<string, unknown>
}

/**
 * A long-lived activity a unit runs instead of a runner's target (a pool worker's task loop): the
 * export `exportName` of `module` is called with a {@link ServiceContext}.
 */
export interface ServiceSpec {
  readonly module: string
  readonly exportName: string
  readonly data: unknown
}

/**
 * `ServiceSpec.module` of the pool worker: core's own service, which the unit runtime imports
 * relative to itself, so that it is found wherever core's code is (its package, or a bundle).
 */
export const POOL_WORKER_MODULE = 'conc:pool-worker'

/** Everything a unit needs to run: sent once, when it starts. */
export interface UnitInit {
  readonly $conc: 1
  readonly kind: UnitKind
  readonly name: string
  readonly daemon: boolean
  /** The position of this process among its ancestors' children (`Process-1:2` is `[1, 2]`). */
  readonly identity: readonly number[]
  readonly parent: { readonly pid: number; readonly name: string }
  readonly target: TargetSpec | undefined
  readonly args: readonly unknown[]
  readonly subclass: SubclassSpec | undefined
  /** When set, the unit runs this service instead of `run()`. */
  readonly service?: ServiceSpec | undefined
  /** Module URLs exporting a `register()` for loader hooks (tsx), tried when an import needs them. */
  readonly loaderHooks: readonly string[]
  /** `args` or the subclass fields carry handles to decode (internal/shared-codec.ts). */
  readonly handles?: 1 | undefined
}

/** The unit reports an error that escaped its target. */
export interface UncaughtMessage extends WireMessage {
  readonly t: 'uncaught'
  readonly error: SerializedThrown
}

/** What a unit tells its parent: `uncaught`, or a feature's own message. */
export type UnitMessage = UncaughtMessage | WireMessage

/** A message type with its keys writable: for a message built key by key (optional keys set only when present). */
export type Writable<T> = { -readonly [K in keyof T]: T[K] }

export function isWireMessage(value: unknown): value is WireMessage {
  return typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string'
}

export function isUncaught(message: WireMessage): message is UncaughtMessage {
  return message.t === 'uncaught'
}
