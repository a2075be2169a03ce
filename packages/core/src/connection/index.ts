/**
 * Python's `multiprocessing.connection`: `Listener` and `Client` over TCP and Unix sockets, the
 * `Connection` they give (the same class `Pipe()` returns), and `wait()`. Exported by both
 * backend packages as the `connection` namespace, so `connection.wait` does not clash with
 * `concurrent.futures`' `wait`:
 *
 * ```ts
 * import { connection } from '@conc/threading' // or '@conc/multiprocessing'
 * const listener = await connection.Listener(['127.0.0.1', 0], { authkey: 'secret' })
 * ```
 *
 * The type of a listener is exported at the top level of the packages as `Listener` (a bundled
 * namespace keeps `connection.Listener` the function only).
 *
 * @module
 */
// Listener and Client load the socket machinery on their first call (see lazy.ts).
export { Client, Listener } from './lazy.js'
export { wait } from './wait.js'
export { Sentinel } from './sentinel.js'
export { AuthenticationError, BufferTooShort } from './errors.js'
export { Connection, Pipe } from '../sync/pipe.js'
export { DEFAULT_MAX_MESSAGE_SIZE } from './options.js'
export type { Address, ClientOptions, ConnectionOptions, ListenerOptions } from './options.js'
export type { Waitable } from './transport.js'
