/**
 * Python's `threading.excepthook`: what happens to an error that escapes a unit's target. The
 * hook runs in the program that started the unit, with the runner object itself, after the unit
 * has ended and all its output has arrived.
 *
 * @module
 */
import type { UnitKind } from './backend.js'
import { formatThrown } from './internal/error-transport.js'
import { MESSAGES } from './internal/messages.js'

/** What an excepthook receives (Python's `ExceptHookArgs`). */
export interface ExceptHookArgs {
  /** The error's `name` (`'TypeError'`, or a custom class name), or `typeof` for a non-error. */
  readonly excType: string
  /**
   * The error, rebuilt on this side as an instance of its class (built-in, @conc's, or exported
   * from a module; else its nearest such ancestor), with its message, stack, `cause` and own
   * properties.
   */
  readonly excValue: unknown
  /** The remote stack trace, when there is one. */
  readonly excTraceback: string | undefined
  /** The `Thread` / `Process` whose target failed (the same object the program created). */
  readonly thread: { readonly name: string } | null
}

export type ExceptHook = (args: ExceptHookArgs) => void

function kindOf(args: ExceptHookArgs & { readonly kind?: UnitKind }): UnitKind {
  return args.kind ?? 'thread'
}

/**
 * The default hook (Python's `threading.__excepthook__`): prints `Exception in thread <name>:`
 * (`Process <name>:` for a process) and the stack to stderr.
 */
export const defaultExcepthook: ExceptHook = (args) => {
  const name = args.thread?.name ?? '<unknown>'
  const header = MESSAGES[kindOf(args)].header(name)
  process.stderr.write(`${header}\n${formatThrown(args.excValue)}\n`)
}

let hook: ExceptHook = defaultExcepthook

/**
 * Replaces the hook called for an uncaught error in a unit, as assigning `threading.excepthook`
 * does. Pass `null` to restore {@link defaultExcepthook}.
 *
 * @example
 * ```ts
 * setExcepthook(({ excValue, thread }) => log.error({ err: excValue, thread: thread?.name }))
 * ```
 */
export function setExcepthook(newHook: ExceptHook | null | undefined): void {
  if (newHook !== null && newHook !== undefined && typeof newHook !== 'function') {
    throw new TypeError('excepthook must be a function')
  }
  hook = newHook ?? defaultExcepthook
}

/** The hook in force. */
export function getExcepthook(): ExceptHook {
  return hook
}

/** Calls the hook; if the hook itself throws, says so and hands its error to the default hook. */
export function invokeExcepthook(thread: { readonly name: string }, kind: UnitKind, value: unknown): void {
  const args = {
    excType: value instanceof Error ? value.name : typeof value,
    excValue: value,
    excTraceback: value instanceof Error ? value.stack : undefined,
    thread,
    kind,
  }
  try {
    hook(args)
  } catch (hookError) {
    process.stderr.write('Exception in threading.excepthook:\n')
    defaultExcepthook({ ...args, excType: 'Error', excValue: hookError, excTraceback: undefined })
  }
}
