/**
 * `connection.Listener()` and `connection.Client()` as every program sees them: both are async, so
 * the socket machinery (listener, client, handshake, authentication, framing: most of
 * `connection/`) loads on the first call instead of with the package. Importing a backend package
 * is paid by every unit (issue 8 §4); a program that never opens a socket never compiles it.
 *
 * The `import()`s are literal relative specifiers, so bundlers follow them into a chunk.
 *
 * @module
 */
import type { Connection } from '../sync/pipe.js'
import type { Listener as ListenerObject } from './listener.js'
import type { Address, ClientOptions, ListenerOptions } from './options.js'

/**
 * A listening socket (Python's `multiprocessing.connection.Listener`), made by
 * {@link Listener | connection.Listener()}.
 */
export interface Listener extends ListenerObject {}

/**
 * Python's `multiprocessing.connection.Listener(address, authkey=…)`: starts listening and
 * resolves to the {@link Listener}. `address` is `[host, port]` (TCP; port 0 lets the system
 * choose) or a Unix socket path; without one, a Unix socket in a new temporary directory.
 *
 * @throws {OSError} when the address cannot be used (in use, no permission)
 * @example
 * ```ts
 * import { connection } from '@conc/multiprocessing'
 *
 * await using listener = await connection.Listener(['127.0.0.1', 0], { authkey: 'secret' })
 * console.log(listener.address) // ['127.0.0.1', 41923]
 * await using conn = await listener.accept()
 * await conn.send(['hello', await conn.recv()])
 * ```
 */
export async function Listener(address?: Address | null, options?: ListenerOptions): Promise<Listener> {
  return (await import('./listener.js')).Listener(address, options)
}

/**
 * Python's `multiprocessing.connection.Client(address, authkey=…)`: connects to a
 * {@link Listener} and resolves to the {@link Connection}, once (with an `authkey`) both sides
 * proved they know the key. Works from any thread or process, on this host or another.
 *
 * @throws {OSError} when nothing listens there (`ECONNREFUSED`, `ENOENT`)
 * @throws {AuthenticationError} when the keys differ (the listener's `accept()` raises it too)
 * @example
 * ```ts
 * import { connection } from '@conc/multiprocessing'
 *
 * await using conn = await connection.Client(['127.0.0.1', 6000], { authkey: 'secret' })
 * await conn.send({ op: 'ping' })
 * console.log(await conn.recv())
 * ```
 */
export async function Client<T = unknown>(address: Address, options?: ClientOptions): Promise<Connection<T>> {
  return (await import('./client.js')).Client<T>(address, options)
}
