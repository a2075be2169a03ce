/**
 * Values sent through a primitive (`Queue.put`, `Connection.send`) travel by V8 serialization,
 * like arguments to a unit. One that cannot fails with the same error as an argument that cannot
 * cross: a `ConcTypeError` with code `ERR_CONC_DATA_CLONE` that names the operation and the value,
 * whether it failed here (threads, the owner) or on its way to the owner (a child process).
 */
import { ConcTypeError, isConcError } from '../../errors.js'
import { describe } from '../../internal/messages.js'

/**
 * The error to raise for `error`, thrown by an operation that sent `value`: the data-clone error
 * when `value` cannot be serialized, else `error` itself. Only called on failure, so a send that
 * works serializes its value once.
 */
export function sendError(error: unknown, value: unknown, operation: string): unknown {
  if (isConcError(error)) return error
  try {
    // node:v8 on first use (only on this failure path): importing it loads Node's streams.
    process.getBuiltinModule('node:v8').serialize(value)
    return error
  } catch (why) {
    const reason = why instanceof Error ? why.message : String(why)
    return new ConcTypeError(
      `${operation} cannot send ${describe(value)}: ${reason.replace(/\.+$/, '')}. Items travel by value (V8 ` +
        'serialization), so they must be data (no functions, symbols or class instances with behaviour).',
      { cause: error, code: 'ERR_CONC_DATA_CLONE' },
    )
  }
}
