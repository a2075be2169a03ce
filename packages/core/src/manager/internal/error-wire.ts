/**
 * How an error crosses between a proxy and its server: core's error transport, so an error the
 * referent throws is re-raised in the caller with its class.
 */
import { ConcTypeError, IndexError, RuntimeError, ValueError } from '../../errors.js'
import { type SerializedThrown, deserializeThrown, serializeThrown } from '../../internal/error-transport.js'
import { BrokenBarrierError, EOFError, Empty, Full, OSError } from '../../sync/errors.js'
import { AttributeError, KeyError, ManagerShutdownError, RemoteError } from '../errors.js'

const kConcError = Symbol.for('@conc/error')

/** @conc's classes, rebuilt as themselves (the transport keeps built-in classes by itself). */
const KNOWN: Record<string, abstract new (...args: never[]) => Error> = {
  RemoteError,
  KeyError,
  AttributeError,
  ManagerShutdownError,
  RuntimeError,
  ValueError,
  IndexError,
  Empty,
  Full,
  BrokenBarrierError,
  EOFError,
  OSError,
}

export function packError(error: unknown): SerializedThrown {
  return serializeThrown(error)
}

export function unpackError(serialized: SerializedThrown): unknown {
  const error = deserializeThrown(serialized)
  if (!(error instanceof Error)) return error
  const code = (error as { code?: unknown }).code
  const Known = KNOWN[error.name]
  if (Known !== undefined && typeof code === 'string') {
    const typed = Object.create(Known.prototype as object) as Error
    for (const key of Object.getOwnPropertyNames(error)) Object.defineProperty(typed, key, Object.getOwnPropertyDescriptor(error, key) as PropertyDescriptor)
    Object.defineProperty(typed, kConcError, { value: true })
    return typed
  }
  if (error.name === 'TypeError' && typeof code === 'string' && code.startsWith('ERR_CONC')) {
    const typed = new ConcTypeError(error.message)
    if (error.stack !== undefined) typed.stack = error.stack
    return typed
  }
  return error
}
