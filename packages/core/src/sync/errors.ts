/**
 * The errors of the synchronization and communication primitives, named as Python names them.
 *
 * @module
 */
import { ConcError, RuntimeError, registerConcErrors } from '../errors.js'

/**
 * `get()` on an empty queue that was told not to wait, or waited `timeout` seconds (Python's
 * `queue.Empty`).
 *
 * @example
 * ```ts
 * try { await q.get({ timeout: 0.1 }) } catch (e) { if (e instanceof Empty) console.log('nothing') }
 * ```
 */
export class Empty extends ConcError {
  constructor(message = 'the queue is empty', options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_EMPTY' })
  }
}

/**
 * `put()` on a full queue that was told not to wait, or waited `timeout` seconds (Python's
 * `queue.Full`).
 *
 * @example
 * ```ts
 * try { q.putNowait(1) } catch (e) { if (e instanceof Full) console.log('no room') }
 * ```
 */
export class Full extends ConcError {
  constructor(message = 'the queue is full', options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_FULL' })
  }
}

/**
 * The barrier was broken (aborted, reset, timed out, or its action failed) while or before a
 * party waited. A `RuntimeError`, as in Python.
 *
 * @example
 * ```ts
 * try { await barrier.wait() } catch (e) { if (e instanceof BrokenBarrierError) console.log('broken') }
 * ```
 */
export class BrokenBarrierError extends RuntimeError {
  constructor(message = 'the barrier is broken', options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_BROKEN_BARRIER' })
  }
}

/** `recv()` on a connection whose peer closed it and that holds no more data (Python's `EOFError`). */
export class EOFError extends ConcError {
  constructor(message = 'the other end of the pipe was closed', options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_EOF' })
  }
}

/**
 * Python's `OSError`: a closed connection or queue was used, or a one-way connection was used in
 * the wrong direction.
 */
export class OSError extends ConcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_OS' })
  }
}

registerConcErrors(Empty, Full, BrokenBarrierError, EOFError, OSError)
