/**
 * Python's `multiprocessing.connection.Listener`: a listening socket whose `accept()` gives
 * authenticated `Connection`s. Every connection is authenticated as it arrives, concurrently, so
 * a slow or hostile peer never holds up the others; `accept()` hands them out in the order they
 * became ready.
 */
import type { Server, Socket } from 'node:net'
import { OSError } from '../sync/errors.js'
import { type Connection, connectionOver } from '../sync/pipe.js'
import { openTransport } from './handshake.js'
import { type Address, type Limits, type ListenerOptions, type ParsedAddress, formatAddress, parseAddress, parseBacklog, parseLimits } from './options.js'

/** A connection that finished its handshake, or the error it failed with; waiting for `accept()`. */
type Entry = { readonly connection: Connection; readonly peer: Address | null } | { readonly error: unknown }

interface Waiter {
  resolve(connection: Connection): void
  reject(error: unknown): void
}

/**
 * A listening socket (Python's `multiprocessing.connection.Listener`), made by
 * {@link Listener | connection.Listener()}.
 */
export interface Listener extends AsyncIterable<Connection>, AsyncDisposable {
  /** Where it listens: `[host, port]` with the port the system chose for 0, or the socket path. */
  readonly address: Address
  /** The peer address of the connection the last `accept()` returned (`null` for a Unix socket). */
  readonly lastAccepted: Address | null
  /** Whether `close()` was called. */
  readonly closed: boolean
  /**
   * The next connection, once it has connected and (with an `authkey`) passed the handshake in
   * both directions. A peer that failed the handshake makes it reject, as Python's `accept()`
   * raises: `AuthenticationError` (a wrong key, or not our protocol), `EOFError` (it hung up),
   * `OSError` (a handshake message over 256 bytes); the next call goes on with the next peer.
   *
   * @throws {OSError} `listener is closed`, also for a call waiting when `close()` is called
   */
  accept(): Promise<Connection>
  /** Stops listening; waiting `accept()` calls reject, connections not yet accepted are closed. */
  close(): Promise<void>
  /**
   * `for await (const conn of listener)`: the accepted connections, until the listener is closed.
   * Peers that failed the handshake are skipped (use `accept()` to see their errors).
   */
  [Symbol.asyncIterator](): AsyncIterator<Connection>
}

class SocketListener implements Listener {
  readonly address: Address
  lastAccepted: Address | null = null
  readonly #server: Server
  readonly #limits: Limits
  readonly #backlog: number
  readonly #unixPath: { readonly path: string; readonly dir: string | undefined } | undefined
  readonly #ready: Entry[] = []
  readonly #waiters: Waiter[] = []
  /** Sockets being authenticated. */
  readonly #pending = new Set<Socket>()
  #closed = false
  #stopped: Promise<void> | undefined
  readonly #onExit: () => void

  constructor(server: Server, address: Address, limits: Limits, backlog: number, unixPath: { path: string; dir: string | undefined } | undefined) {
    this.#server = server
    this.address = address
    this.#limits = limits
    this.#backlog = backlog
    this.#unixPath = unixPath
    server.on('connection', (socket) => this.#onConnection(socket))
    // A listener keeps the program alive only while an accept() waits, as Python's does.
    server.unref()
    this.#onExit = () => this.#removeSocketFile()
    if (unixPath !== undefined) process.once('exit', this.#onExit)
  }

  get closed(): boolean {
    return this.#closed
  }

  #onConnection(socket: Socket): void {
    if (this.#closed || this.#pending.size + this.#ready.length >= this.#backlog) {
      socket.destroy()
      return
    }
    socket.on('error', () => {}) // reported through the transport once it exists
    if (typeof socket.setNoDelay === 'function' && socket.remoteAddress !== undefined) socket.setNoDelay(true)
    const peer: Address | null = socket.remoteAddress === undefined ? null : [socket.remoteAddress, socket.remotePort ?? 0]
    this.#pending.add(socket)
    openTransport(socket, this.#limits, 'listener').then(
      (transport) => this.#settle(socket, { connection: connectionOver(transport), peer }),
      (error: unknown) => this.#settle(socket, { error }),
    )
  }

  #settle(socket: Socket, entry: Entry): void {
    this.#pending.delete(socket)
    if (this.#closed) {
      if ('connection' in entry) void entry.connection.close()
      return
    }
    const waiter = this.#waiters.shift()
    if (waiter === undefined) this.#ready.push(entry)
    else this.#deliver(waiter, entry)
    this.#keepAlive()
  }

  #deliver(waiter: Waiter, entry: Entry): void {
    if ('connection' in entry) {
      this.lastAccepted = entry.peer
      waiter.resolve(entry.connection)
    } else {
      waiter.reject(entry.error)
    }
  }

  #keepAlive(): void {
    if (this.#closed) return
    if (this.#waiters.length > 0) this.#server.ref()
    else this.#server.unref()
  }

  accept(): Promise<Connection> {
    if (this.#closed) return Promise.reject(new OSError('listener is closed'))
    const entry = this.#ready.shift()
    if (entry !== undefined) {
      return new Promise((resolve, reject) => this.#deliver({ resolve, reject }, entry))
    }
    return new Promise<Connection>((resolve, reject) => {
      this.#waiters.push({ resolve, reject })
      this.#keepAlive()
    })
  }

  close(): Promise<void> {
    if (this.#stopped !== undefined) return this.#stopped
    this.#closed = true
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new OSError('listener is closed'))
    for (const entry of this.#ready.splice(0)) if ('connection' in entry) void entry.connection.close()
    for (const socket of this.#pending) socket.destroy()
    this.#pending.clear()
    // Python closes the listening socket at once; connections already accepted stay open.
    this.#stopped = new Promise<void>((resolve) => {
      this.#server.close()
      this.#removeSocketFile()
      process.off('exit', this.#onExit)
      resolve()
    })
    return this.#stopped
  }

  /** Python's listener unlinks its socket file when closed, and at exit. */
  #removeSocketFile(): void {
    const unix = this.#unixPath
    if (unix === undefined || unix.path.startsWith('\0')) return
    const fs = process.getBuiltinModule('node:fs')
    fs.rmSync(unix.path, { force: true })
    if (unix.dir !== undefined) fs.rmSync(unix.dir, { recursive: true, force: true })
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Connection> {
    for (;;) {
      let connection: Connection
      try {
        connection = await this.accept()
      } catch (error) {
        if (this.#closed) return
        continue
      }
      yield connection
    }
  }

  toString(): string {
    return `<Listener ${typeof this.address === 'string' ? this.address : this.address.join(':')}${this.#closed ? ' closed' : ''}>`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}

/** A fresh Unix socket path in a new temporary directory (Python's `arbitrary_address('AF_UNIX')`). */
async function arbitraryAddress(): Promise<{ path: string; dir: string }> {
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = await mkdtemp(join(tmpdir(), 'conc-listener-'))
  return { path: join(dir, 'sock'), dir }
}

/** Listens on `address`; a failure is an OSError naming the system's code. */
export function listen(server: Server, address: ParsedAddress, backlog: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new OSError(`${error.code ?? 'listen error'}: ${error.message}`, { cause: error }))
    }
    server.once('error', onError)
    const onListening = (): void => {
      server.off('error', onError)
      resolve()
    }
    if (address.kind === 'tcp') server.listen({ host: address.host, port: address.port, backlog }, onListening)
    else server.listen({ path: address.path, backlog }, onListening)
  })
}

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
export async function Listener(address?: Address | null, options: ListenerOptions = {}): Promise<Listener> {
  const limits = parseLimits(options)
  const backlog = parseBacklog(options.backlog)
  let unixPath: { path: string; dir: string | undefined } | undefined
  let parsed: ParsedAddress
  if (address === undefined || address === null) {
    unixPath = await arbitraryAddress()
    parsed = { kind: 'unix', path: unixPath.path }
  } else {
    parsed = parseAddress(address)
    if (parsed.kind === 'unix') unixPath = { path: parsed.path, dir: undefined }
  }
  const net = await import('node:net')
  const server = net.createServer()
  await listen(server, parsed, backlog)
  const bound = server.address()
  const real: Address = bound !== null && typeof bound === 'object' ? [bound.address, bound.port] : formatAddress(parsed)
  return new SocketListener(server, real, limits, backlog, unixPath)
}
