/** Python's `multiprocessing.connection.Client`. */
import type { Socket } from 'node:net'
import { OSError } from '../sync/errors.js'
import { type Connection, connectionOver } from '../sync/pipe.js'
import { openTransport } from './handshake.js'
import { type Address, type ClientOptions, type ParsedAddress, parseAddress, parseLimits } from './options.js'

function connect(net: typeof import('node:net'), address: ParsedAddress): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = address.kind === 'tcp' ? net.connect({ host: address.host, port: address.port, noDelay: true }) : net.connect({ path: address.path })
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.destroy()
      reject(new OSError(`${error.code ?? 'connect error'}: ${error.message}`, { cause: error }))
    }
    socket.once('error', onError)
    socket.once('connect', () => {
      socket.off('error', onError)
      // Until the transport listens (it is made after an await), an error must not go unhandled.
      socket.on('error', () => {})
      resolve(socket)
    })
  })
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
export async function Client<T = unknown>(address: Address, options: ClientOptions = {}): Promise<Connection<T>> {
  const parsed = parseAddress(address)
  const limits = parseLimits(options)
  const net = await import('node:net')
  const socket = await connect(net, parsed)
  const transport = await openTransport(socket, limits, 'client')
  return connectionOver<T>(transport)
}
