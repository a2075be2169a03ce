/**
 * Messages between a parent and a unit. Tagged unions, one tag field `t`, so a `switch` over them
 * is checked for exhaustiveness.
 */
import type { UnitKind } from '../backend.js'
import type { SerializedThrown } from './error-transport.js'
import type { TargetSpec } from './target-ref.js'

/** How a runner subclass travels: its class by reference, its own fields by value. */
export interface SubclassSpec {
  readonly module: string | undefined
  readonly exportName: string
  readonly fields: Record<string, unknown>
}

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
  /** Module URLs exporting a `register()` for loader hooks (tsx), tried when an import needs them. */
  readonly loaderHooks: readonly string[]
}

/** What a unit tells its parent. */
export type UnitMessage = { readonly t: 'uncaught'; readonly error: SerializedThrown }

export function isUnitMessage(value: unknown): value is UnitMessage {
  return typeof value === 'object' && value !== null && (value as { t?: unknown }).t === 'uncaught'
}
