/**
 * The errors of `concurrent.futures` and `multiprocessing.pool`, named as Python names them.
 *
 * @module
 */
import { ConcError, RuntimeError, registerConcErrors } from '../errors.js'

/**
 * The future was cancelled (Python's `concurrent.futures.CancelledError`).
 *
 * @example
 * ```ts
 * const f = executor.submit(work, 1)
 * f.cancel()
 * await f.result().catch((e) => e instanceof CancelledError) // true if it had not started
 * ```
 */
export class CancelledError extends ConcError {
  constructor(message = 'the future was cancelled', options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_CANCELLED' })
  }
}

/**
 * A wait ran out of time (Python's `TimeoutError`, which `concurrent.futures` and
 * `multiprocessing` both raise). It shadows the global name on purpose, as Python's does; import
 * it under another name if you need both.
 *
 * @example
 * ```ts
 * try { await future.result(0.1) } catch (e) { if (e instanceof TimeoutError) console.log('slow') }
 * ```
 */
export class TimeoutError extends ConcError {
  constructor(message = 'timed out', options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_TIMEOUT' })
  }
}

/** An operation on a future that its state does not allow, such as a second `setResult()`. */
export class InvalidStateError extends ConcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_INVALID_STATE' })
  }
}

/**
 * The executor cannot run tasks any more: a worker died abruptly or an initializer failed.
 * A `RuntimeError`, as in Python.
 *
 * @example
 * ```ts
 * try { await future } catch (e) { if (e instanceof BrokenExecutor) console.log('pool is broken') }
 * ```
 */
export class BrokenExecutor extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_BROKEN_EXECUTOR' })
  }
}

/** A worker thread of a thread pool ended abruptly or its initializer failed. */
export class BrokenThreadPool extends BrokenExecutor {}

/** A child process of a process pool ended abruptly or its initializer failed. */
export class BrokenProcessPool extends BrokenExecutor {}

/**
 * A task's result could not be sent back (it is not serializable). The worker survives; only
 * that task fails. Python's `multiprocessing.pool.MaybeEncodingError`.
 */
export class MaybeEncodingError extends ConcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_ENCODING' })
  }
}

registerConcErrors(
  CancelledError,
  TimeoutError,
  InvalidStateError,
  BrokenExecutor,
  BrokenThreadPool,
  BrokenProcessPool,
  MaybeEncodingError,
)
