/** Python's messages, per kind of unit, so both backends say exactly what Python says. */
import type { UnitKind } from '../backend.js'

export interface KindMessages {
  readonly startTwice: string
  readonly joinBeforeStart: string
  readonly joinCurrent: string
  readonly daemonAfterStart: string
  readonly header: (name: string) => string
}

export const MESSAGES: Record<UnitKind, KindMessages> = {
  thread: {
    startTwice: 'threads can only be started once',
    joinBeforeStart: 'cannot join thread before it is started',
    joinCurrent: 'cannot join current thread',
    daemonAfterStart: 'cannot set daemon status of active thread',
    header: (name) => `Exception in thread ${name}:`,
  },
  process: {
    startTwice: 'cannot start a process twice',
    joinBeforeStart: 'can only join a started process',
    joinCurrent: 'can only join a child process',
    daemonAfterStart: 'process has already started',
    header: (name) => `Process ${name}:`,
  },
}

export const BOOTSTRAP_MESSAGE =
  'An attempt has been made to start a new unit before the current unit has finished its ' +
  'bootstrapping phase. This probably means that the module defining the target starts threads ' +
  'or processes at its top level: that module is imported again in every unit, so its entry ' +
  'code must be guarded with `if (isMain(import.meta)) { ... }` (`isMain(module)` in CommonJS), the equivalent of ' +
  "Python's `if __name__ == '__main__':`."

export const DAEMON_CHILDREN_MESSAGE = 'daemonic processes are not allowed to have children'

/**
 * An object's class name for messages. A `Future`'s `constructor` is `Promise` (so that `await`
 * takes it as it is: executor/future.ts); its `Symbol.toStringTag` says `Future`.
 */
export function className(value: object, unnamed = 'Object'): string {
  const name = (value.constructor as { name?: unknown } | undefined)?.name
  if (name === 'Promise') {
    const tag = (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag]
    if (typeof tag === 'string') return tag
  }
  return typeof name === 'string' ? name : unnamed
}

/** A short description of a value for error messages: `a function`, `a symbol`, `number 5`. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'function') return value.name ? `function ${value.name}` : 'an anonymous function'
  if (typeof value === 'symbol') return `symbol ${value.description ?? ''}`.trim()
  if (typeof value === 'object') return `an object of type ${className(value)}`
  return `${typeof value} ${String(value)}`
}

/**
 * A value as `MaybeEncodingError`'s message shows it (Python shows its repr): binary data by
 * type and size, not its bytes as text; a function by name; text cut at `max` characters. Never
 * throws.
 */
export function shownValue(value: unknown, max = 200): string {
  try {
    if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
    if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
      return `${value.constructor.name}(${value.byteLength} bytes)`
    }
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength} bytes)`
    const text = String(value)
    return text.length > max ? `${text.slice(0, max)}…` : text
  } catch {
    return typeof value
  }
}
