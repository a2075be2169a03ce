/**
 * Remote managers (Python's `BaseManager(address=…, authkey=…)`): serving a manager's objects to
 * other programs over a socket, and connecting to such a server. Both ends are
 * multiprocessing.connection's: the same handshake (Python's HMAC challenge–response, run before
 * any message is read), framing and limits as `Listener`/`Client`. On top of them travel the
 * manager's own messages (wire.ts), as on a unit channel.
 *
 * The server keeps no event loop alive (nor do its connections): a manager started with an
 * address ends with its owner, as Python's server process is shut down when its owner exits;
 * `serveForever()` is what keeps a serving program running. A client's socket keeps its program
 * alive only while a call waits for its reply.
 */
import type { Server, Socket } from 'node:net'
import { Client } from '../../connection/client.js'
import { listen as listenOn } from '../../connection/listener.js'
import { openTransport } from '../../connection/handshake.js'
import { type Address, DEFAULT_BACKLOG, formatAddress, parseAddress, parseLimits } from '../../connection/options.js'
import { type Connection, connectionOver } from '../../sync/pipe.js'
import { EOFError, OSError } from '../../sync/errors.js'
import { ManagerShutdownError } from '../errors.js'
import { forgetManager, knowManager, resolveUpstream } from './here.js'
import { type Peer, dispatch, endPeer, newPeer } from './host.js'
import { MessageLink } from './links.js'
import type { Core, LocalCore } from './runtime.js'
import { type ClientMessage, type ReplyMessage, isClientMessage } from './wire.js'

export interface Served {
  readonly address: Address
  close(): Promise<void>
}

const where = (address: Address): string => (typeof address === 'string' ? address : `${address[0]}:${address[1]}`)

const isMessage = (value: unknown): value is { readonly t: string } =>
  typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string'

// --- serving -----------------------------------------------------------------------------------


/**
 * Serves one authenticated connection: its messages are dispatched as a unit's are (host.ts).
 * Messages are read as they arrive (the socket's events), never by a read left waiting, so the
 * connection does not keep the owner's event loop alive.
 */
function serveConnection(socket: Socket, connection: Connection, home: string, peers: Set<Peer>): void {
  const peer = newPeer('r', (message: ReplyMessage) => connection.send(message), home)
  peers.add(peer)
  let draining = false
  let again = false
  // A client that disconnects is treated as a unit that died, whether it closed or crashed (a
  // killed program's socket is closed cleanly by its system): its waits are cancelled, and a lock
  // it held is released, so that one lost client cannot stall the others.
  const end = (): void => {
    peers.delete(peer)
    void connection.close()
    void endPeer(peer, true, 0)
  }
  const drain = async (): Promise<void> => {
    if (draining) {
      again = true
      return
    }
    draining = true
    try {
      do {
        again = false
        while (!peer.exited && (await connection.poll(0))) {
          let message: unknown
          try {
            message = await connection.recv()
          } catch {
            // EOF (the client closed, or its program ended), or the connection failed.
            end()
            return
          }
          // An authenticated peer that does not speak the manager's protocol is dropped.
          if (!isMessage(message) || !isClientMessage(message)) return end()
          dispatch(peer, message)
        }
      } while (again && !peer.exited)
    } catch {
      end()
    } finally {
      draining = false
    }
  }
  const wake = (): void => void drain()
  socket.on('data', wake)
  socket.on('end', wake)
  socket.on('close', wake)
  socket.on('error', wake)
  wake()
}

/**
 * Serves manager `core` at `address` to clients that know `authkey`. Each connection is
 * authenticated as it arrives, concurrently; one that fails (a wrong key, garbage, a peer that
 * says nothing within the handshake timeout) is closed and the server goes on with the others,
 * as Python's server does.
 *
 * @throws {OSError} when the address cannot be used
 */
export async function listen(core: LocalCore, address: Address, authkey: string | Uint8Array): Promise<Served> {
  const limits = parseLimits({ authkey })
  const parsed = parseAddress(address)
  const net = await import('node:net')
  const server = net.createServer()
  await listenOn(server, parsed, DEFAULT_BACKLOG)
  server.unref()
  const bound = server.address()
  const real: Address = bound !== null && typeof bound === 'object' ? [bound.address, bound.port] : formatAddress(parsed)
  const handshakes = new Set<Socket>()
  const peers = new Set<Peer>()
  const connections = new Set<Connection>()
  let closed = false

  server.on('connection', (socket) => {
    if (closed || handshakes.size >= DEFAULT_BACKLOG) {
      socket.destroy()
      return
    }
    socket.on('error', () => {}) // reported through the transport once it exists
    if (socket.remoteAddress !== undefined) socket.setNoDelay(true)
    handshakes.add(socket)
    openTransport(socket, limits, 'listener').then(
      (transport) => {
        handshakes.delete(socket)
        if (closed) return transport.destroy()
        const connection = connectionOver(transport)
        connections.add(connection)
        socket.once('close', () => connections.delete(connection))
        serveConnection(socket, connection, core.mid, peers)
      },
      // A peer that failed the handshake was closed by it: Python's server drops it and serves on.
      () => handshakes.delete(socket),
    )
  })

  return {
    address: real,
    async close(): Promise<void> {
      if (closed) return
      closed = true
      for (const socket of handshakes) socket.destroy()
      handshakes.clear()
      for (const peer of peers) void endPeer(peer, false, 0)
      peers.clear()
      // What was already sent (replies to calls that ended) still reaches the clients.
      await Promise.all([...connections].map((connection) => connection.close()))
      // Not waiting for the connections to be gone: a client that reads nothing must not hold
      // up shutdown().
      server.close()
      if (parsed.kind === 'unix' && !parsed.path.startsWith('\0')) process.getBuiltinModule('node:fs').rmSync(parsed.path, { force: true })
    },
  }
}

// --- connecting --------------------------------------------------------------------------------

/** A manager connected to a server elsewhere: every call is a message over the connection. */
class RemoteCore implements Core {
  constructor(
    readonly mid: string,
    readonly link: MessageLink,
    readonly connection: Connection,
    readonly address: Address,
    readonly lose: (error: ManagerShutdownError) => void,
  ) {}

  async create(typeid: string, args: readonly unknown[]): Promise<object> {
    return (await this.link.request({ mid: this.mid, id: 0, name: 'create', args: [typeid, ...args] })) as object
  }

  async numberOfObjects(): Promise<number> {
    return (await this.link.request({ mid: this.mid, id: 0, name: 'numberOfObjects', args: [] })) as number
  }

  async shutdown(): Promise<void> {
    // The server goes on; what this program held there is released when the connection closes.
    this.lose(new ManagerShutdownError(`the manager has shut down: it was connected to the server at ${where(this.address)}, which goes on serving`))
    await this.connection.close()
  }
}

/** The error every call raises once the connection to the server is gone. */
function lostError(address: Address, error: unknown): ManagerShutdownError {
  if (error instanceof EOFError) {
    return new ManagerShutdownError(`the manager at ${where(address)} closed the connection: its server has shut down, or its program ended`, { cause: error })
  }
  const why = error instanceof Error ? error.message : String(error)
  return new ManagerShutdownError(`the connection to the manager at ${where(address)} was lost (${why}): its server has shut down or cannot be reached`, { cause: error })
}

/**
 * Connects to the manager served at `address` (Python's `BaseManager.connect()`): authenticates
 * with `authkey`, then asks the server which manager it serves.
 *
 * @throws {AuthenticationError} when the keys differ; {OSError} when nothing listens there
 */
export async function connect(address: Address, authkey: string | Uint8Array): Promise<Core> {
  const connection = await Client(address, { authkey })
  let reading: AbortController | undefined
  let gone: ManagerShutdownError | undefined
  let mid: string | undefined
  const lose = (error: unknown): ManagerShutdownError => {
    gone ??= error instanceof ManagerShutdownError ? error : lostError(address, error)
    link.lose(gone)
    if (mid !== undefined) forgetManager(mid, link)
    void connection.close()
    return gone
  }
  // Replies are read only while a call waits for one: an idle connection keeps nothing alive.
  const read = async (controller: AbortController): Promise<void> => {
    try {
      for (;;) {
        const message = await connection.recv({ signal: controller.signal })
        if (isMessage(message) && message.t === 'mgr.reply') link.receive(message as ReplyMessage)
      }
    } catch (error) {
      if (!controller.signal.aborted) lose(error)
    }
  }
  const send = (message: ClientMessage): Promise<void> =>
    connection.send(message).catch((error: unknown) => {
      // A value that cannot be sent fails its call alone; a broken connection fails them all.
      throw error instanceof OSError ? lose(error) : error
    })
  const link: MessageLink = new MessageLink(`manager at ${where(address)}`, send, resolveUpstream, (busy) => {
    reading?.abort()
    reading = undefined
    if (busy) {
      reading = new AbortController()
      void read(reading)
    }
  })
  try {
    mid = (await link.request({ mid: '', id: 0, name: 'hello', args: [] })) as string
  } catch (error) {
    await connection.close()
    throw error
  }
  // A unit this program gives a proxy to may call the manager too: forwarded over this link.
  knowManager(mid, link)
  return new RemoteCore(mid, link, connection, address, lose)
}
