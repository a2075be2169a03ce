/**
 * Python's `OSError` subclasses for names that exist or do not (`SharedMemory`), and for a pipe
 * whose other end is closed.
 *
 * @module
 */
import { registerConcErrors } from './errors.js'
import { OSError } from './sync/errors.js'

/**
 * A name that must be new already exists (Python's `FileExistsError`): `SharedMemory` created
 * with a name in use. An `OSError`, code `ERR_CONC_OS`.
 */
export class FileExistsError extends OSError {}

/**
 * A name that must exist does not (Python's `FileNotFoundError`): `SharedMemory` attached by a
 * name no block of this process has. An `OSError`, code `ERR_CONC_OS`.
 */
export class FileNotFoundError extends OSError {}

/**
 * `send()` on a pipe end whose other end is closed, every copy of it (Python's `BrokenPipeError`,
 * `[Errno 32] Broken pipe`, with `errno` 32 and `strerror`; Python puts `ConnectionError` between
 * it and `OSError`). Raised by pipe ends and socket connections. An `OSError`, code `ERR_CONC_OS`.
 */
export class BrokenPipeError extends OSError {
  /** Python's `errno.EPIPE`. */
  readonly errno = 32
  readonly strerror = 'Broken pipe'
  constructor(message = '[Errno 32] Broken pipe', options?: { cause?: unknown }) {
    super(message, options)
  }
}

registerConcErrors(FileExistsError, FileNotFoundError, BrokenPipeError)
