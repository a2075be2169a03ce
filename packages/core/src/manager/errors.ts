/**
 * The errors of managers and proxies, named as Python names them.
 *
 * @module
 */
import { ConcError, RuntimeError, registerConcErrors } from '../errors.js'

const RULE = '-'.repeat(75)

/**
 * An error in a manager's server that the referent did not raise (Python's
 * `multiprocessing.managers.RemoteError`): a method that is not exposed, an object the manager does
 * not have, a result that cannot be sent back. Its message carries the server's traceback between
 * two rules, as Python prints it. An error the referent's own method throws is not a
 * `RemoteError`: it is re-raised in the caller with its class.
 *
 * @example
 * ```ts
 * try { await proxy.callMethod('secret') } catch (e) { if (e instanceof RemoteError) console.log(e.message) }
 * ```
 */
export class RemoteError extends ConcError {
  constructor(traceback: string, options?: { cause?: unknown }) {
    super(`\n${RULE}\n${traceback.endsWith('\n') ? traceback : `${traceback}\n`}${RULE}`, { ...options, code: 'ERR_CONC_REMOTE' })
  }
}

/**
 * Python's `KeyError`: a key a managed dict does not have (`pop(key)` without a default,
 * `getItem(key)`, `popitem()` on an empty dict).
 *
 * @example
 * ```ts
 * try { await d.pop('missing') } catch (e) { if (e instanceof KeyError) console.log(e.message) } // 'missing'
 * ```
 */
export class KeyError extends ConcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_KEY' })
  }
}

/**
 * Python's `AttributeError`: a name a managed `Namespace` does not have.
 *
 * @example
 * ```ts
 * try { await ns.get('nope') } catch (e) { if (e instanceof AttributeError) console.log(e.message) }
 * ```
 */
export class AttributeError extends ConcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_ATTRIBUTE' })
  }
}

/**
 * A proxy, or its manager, was used after the manager shut down (or, for a remote manager, after
 * the connection to its server was lost). A `RuntimeError` with code `ERR_CONC_MANAGER_SHUTDOWN`.
 *
 * @example
 * ```ts
 * await manager.shutdown()
 * try { await d.get('k') } catch (e) { if (e instanceof ManagerShutdownError) console.log('gone') }
 * ```
 */
export class ManagerShutdownError extends RuntimeError {
  constructor(message = 'the manager has shut down: its objects are gone, and proxies to them cannot be used', options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CONC_MANAGER_SHUTDOWN' })
  }
}

// They keep their class across units and hosts, rebuilt by name (internal/error-transport.ts).
registerConcErrors(RemoteError, KeyError, AttributeError, ManagerShutdownError)
