/**
 * The errors @conc throws. One base class with a stable `code`; subclasses are named as Python
 * names the concept. Every @conc error carries a brand, so {@link isConcError} recognises it even
 * when two copies of the package are loaded or the error was rebuilt after crossing a boundary.
 *
 * @module
 */

import { registerErrorClass } from './internal/error-transport.js'

const kConcError = Symbol.for('@conc/error')

/** Stable codes of the errors @conc throws. */
export type ConcErrorCode =
  | 'ERR_CONC_RUNTIME'
  | 'ERR_CONC_BOOTSTRAP'
  | 'ERR_CONC_VALUE'
  | 'ERR_CONC_INVALID_ARG_TYPE'
  | 'ERR_CONC_DATA_CLONE'
  | 'ERR_CONC_TARGET_NOT_FOUND'
  // Executors, futures and pools (issue 3)
  | 'ERR_CONC_CANCELLED'
  | 'ERR_CONC_TIMEOUT'
  | 'ERR_CONC_INVALID_STATE'
  | 'ERR_CONC_BROKEN_EXECUTOR'
  | 'ERR_CONC_ENCODING'
  // Synchronization and communication primitives (issue 4)
  | 'ERR_CONC_EMPTY'
  | 'ERR_CONC_FULL'
  | 'ERR_CONC_BROKEN_BARRIER'
  | 'ERR_CONC_EOF'
  | 'ERR_CONC_OS'
  // Bad input (issue 7)
  | 'ERR_CONC_INDEX'
  // Connections and shared memory (issue 10)
  | 'ERR_CONC_AUTHENTICATION'
  | 'ERR_CONC_BUFFER_TOO_SHORT'
  // Managers and proxies (issue 10)
  | 'ERR_CONC_REMOTE'
  | 'ERR_CONC_KEY'
  | 'ERR_CONC_ATTRIBUTE'
  | 'ERR_CONC_MANAGER_SHUTDOWN'

function brand(error: Error, code: ConcErrorCode): void {
  Object.defineProperty(error, kConcError, { value: true })
  Object.defineProperty(error, 'code', { value: code, enumerable: true })
}

/**
 * Base class of the errors @conc throws.
 *
 * @example
 * ```ts
 * try { await t.join() } catch (e) { if (isConcError(e)) console.log(e.code) }
 * ```
 */
export class ConcError extends Error {
  declare readonly code: ConcErrorCode
  constructor(message: string, options?: { cause?: unknown; code?: ConcErrorCode }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    brand(this, options?.code ?? 'ERR_CONC_RUNTIME')
  }
}

/**
 * Python's `RuntimeError`: an operation not allowed in the object's current state, such as
 * starting a runner twice or joining one that was never started. Same class, same message as
 * Python, on every backend.
 */
export class RuntimeError extends ConcError {
  constructor(message: string, options?: { cause?: unknown; code?: ConcErrorCode }) {
    super(message, { code: 'ERR_CONC_RUNTIME', ...options })
  }
}

/** Python's `ValueError`: an argument of the right type with a value that is not allowed. */
export class ValueError extends ConcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_VALUE' })
  }
}

/**
 * The target function (or runner subclass) could not be found or rebuilt on the other side.
 * The message names the function and the module and says how to fix it.
 */
export class TargetNotFoundError extends ConcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_TARGET_NOT_FOUND' })
  }
}

/**
 * An argument of the wrong type (a non-function `target`, `args` that is not an array). It is a
 * real `TypeError`, as Python raises, branded as a @conc error with code `ERR_CONC_INVALID_ARG_TYPE`.
 */
export class ConcTypeError extends TypeError {
  declare readonly code: ConcErrorCode
  constructor(message: string, options?: { cause?: unknown; code?: ConcErrorCode }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TypeError'
    brand(this, options?.code ?? 'ERR_CONC_INVALID_ARG_TYPE')
  }
}

/**
 * Python's `IndexError`: an index out of range, such as `arr.get(10)` on an `Array` of 10. It is
 * a real `RangeError` (JavaScript's class for it), named `IndexError`, with code `ERR_CONC_INDEX`.
 *
 * @example
 * ```ts
 * try { arr.get(10) } catch (e) { if (e instanceof IndexError) console.log(e.message) } // invalid index
 * ```
 */
export class IndexError extends RangeError {
  declare readonly code: ConcErrorCode
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'IndexError'
    brand(this, 'ERR_CONC_INDEX')
  }
}

/**
 * Makes @conc error classes keep their class across a boundary: the other side rebuilds them from
 * its own copy, by name, with their brand and `code`. Each module of error classes calls it for
 * its classes.
 */
export function registerConcErrors(...classes: (abstract new (...args: never[]) => Error)[]): void {
  for (const Class of classes) {
    registerErrorClass(
      Class,
      (error, props) => brand(error, typeof props.code === 'string' ? (props.code as ConcErrorCode) : 'ERR_CONC_RUNTIME'),
      isConcError,
    )
  }
}
registerConcErrors(ConcError, RuntimeError, ValueError, TargetNotFoundError, ConcTypeError, IndexError)

/** True for any error thrown by @conc, from any copy of the package. */
export function isConcError(value: unknown): value is (ConcError | ConcTypeError | IndexError) & { code: ConcErrorCode } {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kConcError] === true
}
