/**
 * The connections contract (`multiprocessing.connection`), written once and run against every
 * backend: a Listener in the test, Clients in threads or processes started with the backend's
 * runner, over TCP and Unix sockets; `wait()` over socket and pipe connections and sentinels; the
 * authkey handshake; and every kind of bad input a peer can send, each sent by a raw `net` socket.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixture, fixtureUrl, runNode, tempDir } from './harness.ts'
import { type Fn, type Lib, type LibBackendUnderTest, type Unit as BaseUnit, sleep } from './contract-kit.ts'

export type ConnectionBackendUnderTest = LibBackendUnderTest

interface Unit extends BaseUnit {
  readonly sentinel: PromiseLike<void>
}

/** A promise awaited later in the test: its rejection is not reported as unhandled meanwhile. */
function later(promise: Promise<Lib>): Promise<Lib> {
  promise.catch(() => {})
  return promise
}
const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

/** A raw peer: a plain socket that speaks (or breaks) the protocol byte by byte. */
class RawPeer {
  readonly socket: Socket
  #data = Buffer.alloc(0)
  ended = false
  closed = false
  readonly #changed = new Set<() => void>()

  constructor(address: string | readonly [string, number]) {
    this.socket = typeof address === 'string' ? connect({ path: address }) : connect({ host: address[0], port: address[1] })
    this.socket.on('data', (chunk: Buffer) => {
      this.#data = Buffer.concat([this.#data, chunk])
      this.#notify()
    })
    this.socket.on('end', () => {
      this.ended = true
      this.#notify()
    })
    this.socket.on('error', () => {})
    this.socket.on('close', () => {
      this.closed = true
      this.#notify()
    })
  }

  #notify(): void {
    for (const fn of [...this.#changed]) fn()
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.socket.connecting) resolve()
      this.socket.once('connect', resolve)
      this.socket.once('error', reject)
    })
  }

  /** Resolves once `predicate` holds, or rejects after `seconds`. */
  until(predicate: () => boolean, seconds = 10): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return
        this.#changed.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.#changed.delete(check)
        reject(new Error('raw peer: timed out'))
      }, seconds * 1000)
      this.#changed.add(check)
      check()
    })
  }

  /** The next framed message. */
  async readFrame(): Promise<Buffer> {
    await this.until(() => this.#data.length >= 4 && this.#data.length >= 4 + this.#data.readInt32BE(0))
    const size = this.#data.readInt32BE(0)
    const frame = this.#data.subarray(4, 4 + size)
    this.#data = this.#data.subarray(4 + size)
    return frame
  }

  write(data: Uint8Array): void {
    this.socket.write(data)
  }

  writeFrame(payload: Uint8Array): void {
    const header = Buffer.alloc(4)
    header.writeInt32BE(payload.length)
    this.socket.write(Buffer.concat([header, payload]))
  }

  /** Answers the listener's challenge with the HMAC of `key` (a wrong key gives a wrong digest). */
  async answerChallenge(key: string): Promise<string> {
    const challenge = await this.readFrame()
    const message = challenge.subarray('#CHALLENGE#'.length)
    this.writeFrame(Buffer.concat([Buffer.from('{sha256}'), createHmac('sha256', key).update(message).digest()]))
    return (await this.readFrame()).toString()
  }

  /** The other direction: challenges the listener, which must answer with the HMAC of the key. */
  async deliverChallenge(key: string): Promise<void> {
    const message = Buffer.concat([Buffer.from('{sha256}'), randomBytes(40)])
    this.writeFrame(Buffer.concat([Buffer.from('#CHALLENGE#'), message]))
    const response = await this.readFrame()
    const expected = Buffer.concat([Buffer.from('{sha256}'), createHmac('sha256', key).update(message).digest()])
    this.writeFrame(Buffer.from(response.equals(expected) ? '#WELCOME#' : '#FAILURE#'))
  }

  end(): void {
    this.socket.end()
  }

  destroy(): void {
    this.socket.destroy()
  }
}

export function defineConnectionContract(backend: ConnectionBackendUnderTest): void {
  const { lib, kind } = backend
  const { connection } = lib
  let targets: Record<string, Fn>
  const units: Unit[] = []
  const cleanups: (() => unknown)[] = []

  /** Starts a unit running the fixture target `name`, cleaned up after the test. */
  const spawn = (name: string, ...args: unknown[]): Unit => {
    const target = targets[name]
    if (target === undefined) throw new Error(`no fixture target ${name}`)
    const Runner = lib.Thread ?? lib.Process
    const unit = new Runner({ target: lib.fromModule(target, fixtureUrl('connection-targets.mjs'), name), args }) as Unit
    units.push(unit)
    unit.start()
    return unit
  }
  const joinAll = async (...list: Unit[]) => {
    await Promise.all(list.map((unit) => unit.join(30)))
    for (const unit of list) expect(unit.exitCode).toBe(0)
  }
  /** A listener closed after the test. */
  const listen = async (address?: unknown, options?: Record<string, unknown>) => {
    const listener = await connection.Listener(address, options)
    cleanups.push(() => listener.close())
    return listener
  }
  const raw = async (address: string | readonly [string, number]) => {
    const peer = new RawPeer(address)
    cleanups.push(() => peer.destroy())
    await peer.connected()
    return peer
  }
  /** A connected pair made through `listener`, both ends closed after the test. */
  const pair = async (listener: Lib, options?: Record<string, unknown>) => {
    const [client, server] = await Promise.all([connection.Client(listener.address, options), listener.accept()])
    cleanups.push(() => client.close(), () => server.close())
    return [client, server]
  }
  /** The good client every bad-input test runs beside the bad peer: the listener still serves. */
  const stillServes = async (listener: Lib, authkey?: string) => {
    const [client, server] = await pair(listener, authkey === undefined ? undefined : { authkey })
    await client.send({ still: 'served' })
    expect(await server.recv()).toEqual({ still: 'served' })
  }

  beforeAll(async () => {
    process.env.CONC_BACKEND = backend.backendUrl
    targets = (await import(fixtureUrl('connection-targets.mjs'))) as Record<string, Fn>
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    for (const unit of units.splice(0)) {
      if (unit.isAlive()) {
        unit.kill()
        await unit.join()
      }
    }
  })

  describe(`${kind} connection: Listener and Client`, () => {
    it.each([
      ['TCP', () => ['127.0.0.1', 0]],
      ['a Unix socket', () => join(tempDir().dir, 'listener.sock')],
    ])('over %s: objects and bytes round-trip, 16 MiB too; poll() with a timeout; EOFError after the peer closed', async (_, address) => {
      const listener = await listen(address(), { authkey: 'secret' })
      if (Array.isArray(listener.address)) {
        expect(listener.address[0]).toBe('127.0.0.1')
        expect(listener.address[1]).toBeGreaterThan(0)
      } else {
        expect(existsSync(listener.address)).toBe(true)
      }
      const unit = spawn('echoClient', listener.address, 'secret')
      const conn = await listener.accept()
      if (Array.isArray(listener.address)) expect(listener.lastAccepted[0]).toBe('127.0.0.1')
      else expect(listener.lastAccepted).toBe(null)
      expect([conn.readable, conn.writable, conn.closed]).toEqual([true, true, false])
      expect(await conn.poll()).toBe(false)
      const t0 = performance.now()
      expect(await conn.poll(0.2)).toBe(false)
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150)
      await conn.send({ a: [1, 2, 3], m: new Map([[1, 'x']]) })
      expect(await conn.poll(20)).toBe(true)
      expect(await conn.recv()).toEqual({ a: [1, 2, 3], m: new Map([[1, 'x']]) })
      await conn.sendBytes(bytes('hello world'), 6)
      expect(text(await conn.recvBytes())).toBe('world')
      await conn.sendBytes(new Uint8Array(0))
      expect((await conn.recvBytes()).length).toBe(0)
      const big = new Uint8Array(16 * 1024 * 1024).map((_, i) => i & 0xff)
      await conn.sendBytes(big)
      const back = await conn.recvBytes()
      expect(back.length).toBe(big.length)
      expect(Buffer.compare(Buffer.from(back), Buffer.from(big))).toBe(0)
      // The unit echoes until the peer closes: half-close is not Python's, so close and let it see EOF.
      await conn.close()
      await joinAll(unit)
      expect(conn.closed).toBe(true)
      await expect(conn.recv()).rejects.toThrow('handle is closed')
      await expect(conn.send(1)).rejects.toBeInstanceOf(lib.OSError)
      const path = listener.address
      await listener.close()
      if (typeof path === 'string') expect(existsSync(path)).toBe(false)
    }, 90_000)

    it('EOFError when the peer closes, after what it sent was read; a closed listener refuses accept() with OSError', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const [client, server] = await pair(listener)
      await client.send('last words')
      await client.close()
      expect(await server.poll(10)).toBe(true)
      expect(await server.recv()).toBe('last words')
      expect(await server.poll(10)).toBe(true)
      await expect(server.recv()).rejects.toBeInstanceOf(lib.EOFError)
      const waiting = later(listener.accept())
      await listener.close()
      await expect(waiting).rejects.toThrow('listener is closed')
      await expect(listener.accept()).rejects.toBeInstanceOf(lib.OSError)
      expect(listener.closed).toBe(true)
    })

    it('without an address: a Unix socket in a new temporary directory, removed on close', async () => {
      const listener = await listen()
      expect(typeof listener.address).toBe('string')
      const [client, server] = await pair(listener)
      await server.send('over unix')
      expect(await client.recv()).toBe('over unix')
      await listener.close()
      expect(existsSync(listener.address)).toBe(false)
    })

    it('recvBytesInto() writes at an offset and returns the length; a short buffer raises BufferTooShort with the message', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const [client, server] = await pair(listener)
      const buffer = new Uint8Array(8)
      await client.sendBytes(bytes('abc'))
      expect(await server.recvBytesInto(buffer, 2)).toBe(3)
      expect(text(buffer.subarray(2, 5))).toBe('abc')
      await client.sendBytes(bytes('too long for it'))
      const error = await server.recvBytesInto(buffer).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(lib.BufferTooShort)
      expect(text((error as { value: Uint8Array }).value)).toBe('too long for it')
      await expect(server.recvBytesInto(buffer, 9)).rejects.toThrow('offset too large')
      // The same on a pipe.
      const [a, b] = lib.Pipe()
      await a.sendBytes(bytes('xyz'))
      expect(await b.recvBytesInto(buffer, 5)).toBe(3)
      await a.sendBytes(bytes('nine byte'))
      await expect(b.recvBytesInto(buffer)).rejects.toBeInstanceOf(lib.BufferTooShort)
    })

    it('send() once the peer closed raises BrokenPipeError (an OSError, errno 32), as on a pipe and in Python', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const [client, server] = await pair(listener)
      await client.close()
      // The peer's close reaches this socket shortly; until then a send may still go in.
      let error: unknown
      for (const started = performance.now(); error === undefined && performance.now() - started < 5_000; await sleep(0.02)) {
        error = await server.send('x').then(() => undefined, (caught: unknown) => caught)
      }
      expect(error).toBeInstanceOf(lib.BrokenPipeError)
      expect(error).toBeInstanceOf(lib.OSError)
      expect((error as { errno: number }).errno).toBe(32)
      expect((error as Error).message).toMatch(/^\[Errno 32\] Broken pipe/)
    })

    it('recvBytes(maxlength) refuses a longer message with OSError (bad message length)', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const [client, server] = await pair(listener)
      await client.sendBytes(new Uint8Array(100))
      await expect(server.recvBytes(10)).rejects.toThrow('bad message length')
    })

    it('a socket connection cannot be passed to a unit: start() throws ConcTypeError (ERR_CONC_DATA_CLONE) saying how to connect from it', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const [client] = await pair(listener)
      const Runner = lib.Thread ?? lib.Process
      const unit = new Runner({ target: lib.fromModule(targets.live as Fn, fixtureUrl('connection-targets.mjs'), 'live'), args: [client] })
      let error: unknown
      try {
        unit.start()
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(TypeError)
      expect((error as { code: string }).code).toBe('ERR_CONC_DATA_CLONE')
      expect(String((error as Error).message)).toMatch(/connection\.Client/)
      await expect(client.send([client])).rejects.toThrow(/cannot be passed to a unit or sent in a message/)
    })

    it('open listeners and connections do not keep a program alive, nor a unit whose target returned (as in Python)', async () => {
      const run = await runNode([fixture('connection-program.mjs')], { backendUrl: backend.backendUrl, timeoutMs: 30_000 })
      expect(run.stderr).toBe('')
      expect(run.stdout).toBe('hi from a unit that does not close\nunit ended 0\n')
      expect(run.code).toBe(0)
    }, 60_000)

    it('Client() to an address nobody listens on raises OSError', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const address = listener.address
      await listener.close()
      await expect(connection.Client(address)).rejects.toBeInstanceOf(lib.OSError)
      await expect(connection.Client(join(tempDir().dir, 'nothing.sock'))).rejects.toThrow(/ENOENT/)
    })

    it('bad arguments: an address that is neither [host, port] nor a path is a ValueError, an authkey that is not bytes a TypeError', async () => {
      await expect(connection.Listener(42)).rejects.toBeInstanceOf(lib.ValueError)
      await expect(connection.Client(['127.0.0.1', 70000])).rejects.toBeInstanceOf(lib.ValueError)
      await expect(connection.Client(['127.0.0.1', 1], { authkey: 12 })).rejects.toThrow('authkey should be a byte string')
      await expect(connection.Listener(['127.0.0.1', 0], { maxMessageSize: 0 })).rejects.toBeInstanceOf(lib.ValueError)
    })
  })

  describe(`${kind} connection.wait()`, () => {
    it('returns the ready subset of several connections, in the order given; [] after the timeout', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const delays: Record<string, number> = { slow: 3, fast: 0.5, never: 30 }
      for (const [name, delay] of Object.entries(delays)) spawn('sendAfter', listener.address, null, name, delay, `${name} done`)
      const byName: Record<string, Lib> = {}
      for (let i = 0; i < 3; i++) {
        const conn = await listener.accept()
        byName[await conn.recv()] = conn
      }
      const all = [byName.slow, byName.never, byName.fast]
      for (const conn of all) await conn?.send('go')
      expect(await connection.wait(all, 0)).toEqual([])
      const ready = await connection.wait(all, 20)
      expect(ready).toEqual([byName.fast])
      expect(await byName.fast!.recv()).toBe('fast done')
      const t0 = performance.now()
      expect(await connection.wait([byName.never], 0.3)).toEqual([])
      expect(performance.now() - t0).toBeGreaterThanOrEqual(250)
      expect(await connection.wait(all, 20)).toEqual([byName.slow])
      for (const conn of all) await conn?.send('bye')
    }, 60_000)

    it('takes Pipe() ends and socket connections together, and sentinels: ready when the unit ends; a sentinel is awaitable', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const [a, b] = lib.Pipe()
      const [client, server] = await pair(listener)
      expect(await connection.wait([a, b, server], 0.05)).toEqual([])
      await client.send('to server')
      expect(await connection.wait([b, server, a], 10)).toEqual([server])
      await b.send('to a')
      expect(await connection.wait([b, server, a], 10)).toEqual([server, a])
      const unit = spawn('live', 0.5)
      const sentinel = unit.sentinel
      expect(unit.sentinel).toBe(sentinel)
      expect(await connection.wait([sentinel], 0)).toEqual([])
      expect(await connection.wait([sentinel, b], 20)).toEqual([sentinel])
      expect(unit.isAlive()).toBe(false)
      await sentinel
      const waiter = spawn('live', 0.3)
      await waiter.sentinel
      expect(waiter.isAlive()).toBe(false)
      await expect(connection.wait([1])).rejects.toBeInstanceOf(TypeError)
      await a.close()
      await expect(connection.wait([a])).rejects.toThrow('handle is closed')
    }, 60_000)

    it('works inside a unit, over its pipe end and its own socket connection', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const [mine, theirs] = lib.Pipe()
      const out = new lib.Queue()
      spawn('waitInUnit', theirs, listener.address, out)
      const conn = await listener.accept()
      await sleep(0.2)
      await conn.send('socket first')
      expect(await out.get({ timeout: 20 })).toEqual(['socket'])
      expect(await out.get({ timeout: 20 })).toBe('socket first')
      await mine.close()
    }, 60_000)
  })

  describe(`${kind} connection: the authkey`, () => {
    it('a unit with the right key connects; a wrong key is AuthenticationError on both sides, and the listener goes on', async () => {
      const listener = await listen(['127.0.0.1', 0], { authkey: new TextEncoder().encode('s3cret') })
      const out = new lib.Queue()
      spawn('tryConnect', listener.address, 'wrong', out)
      await expect(listener.accept()).rejects.toMatchObject({ name: 'AuthenticationError', code: 'ERR_CONC_AUTHENTICATION', message: 'digest received was wrong' })
      expect(await out.get({ timeout: 20 })).toEqual({ ok: false, name: 'AuthenticationError', code: 'ERR_CONC_AUTHENTICATION', message: 'digest sent was rejected' })
      spawn('tryConnect', listener.address, 's3cret', out)
      const conn = await listener.accept()
      expect(await conn.recv()).toBe('hello')
      await conn.send('welcome')
      expect(await out.get({ timeout: 20 })).toEqual({ ok: true, reply: 'welcome' })
    }, 60_000)

    it('a key on one side only fails: the keyless side gets the challenge as a message, the other an AuthenticationError', async () => {
      const keyed = await listen(['127.0.0.1', 0], { authkey: 'k' })
      const keyless = await connection.Client(keyed.address)
      const accepted = later(keyed.accept())
      // Python's client would read the challenge as its first message.
      expect(text(await keyless.recvBytes())).toMatch(/^#CHALLENGE#\{sha256\}/)
      await keyless.close()
      await expect(accepted).rejects.toBeInstanceOf(lib.EOFError)
      const open = await listen(['127.0.0.1', 0])
      const client = later(connection.Client(open.address, { authkey: 'k' }))
      const server = await open.accept()
      await server.send('not a challenge')
      await expect(client).rejects.toBeInstanceOf(lib.AuthenticationError)
    })

    it('`for await (const conn of listener)` skips peers that failed the handshake and ends when the listener closes', async () => {
      const listener = await listen(['127.0.0.1', 0], { authkey: 'k' })
      const served: unknown[] = []
      const loop = (async () => {
        for await (const conn of listener) {
          served.push(await conn.recv())
          await conn.close()
        }
      })()
      await expect(connection.Client(listener.address, { authkey: 'bad' })).rejects.toBeInstanceOf(lib.AuthenticationError)
      const good = await connection.Client(listener.address, { authkey: 'k' })
      await good.send('good one')
      await good.recv().catch(() => {})
      await listener.close()
      await loop
      expect(served).toEqual(['good one'])
    })
  })

  describe(`${kind} connection: bad input on the wire closes that connection with a clear error, the listener serves the others`, () => {
    it('a wrong digest from a raw socket: it gets #FAILURE# and is closed; accept() raises AuthenticationError', async () => {
      const listener = await listen(['127.0.0.1', 0], { authkey: 'right' })
      const accepted = later(listener.accept())
      const peer = await raw(listener.address)
      expect(await peer.answerChallenge('wrong')).toBe('#FAILURE#')
      await peer.until(() => peer.ended || peer.closed)
      await expect(accepted).rejects.toThrow('digest received was wrong')
      await stillServes(listener, 'right')
    })

    it('garbage instead of the handshake (an HTTP request): a length over 256 bytes is refused before reading it; accept() raises OSError', async () => {
      const listener = await listen(['127.0.0.1', 0], { authkey: 'right' })
      const accepted = later(listener.accept())
      const peer = await raw(listener.address)
      await peer.readFrame() // the challenge
      peer.write(bytes('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
      await peer.until(() => peer.closed)
      await expect(accepted).rejects.toThrow(/bad message length/)
      await stillServes(listener, 'right')
    })

    it('a response of the wrong form: AuthenticationError naming what was received', async () => {
      const listener = await listen(['127.0.0.1', 0], { authkey: 'right' })
      const accepted = later(listener.accept())
      const peer = await raw(listener.address)
      await peer.readFrame()
      peer.writeFrame(bytes('{whirlpool}0123456789abcdef0123'))
      await expect(accepted).rejects.toThrow(/unsupported message length, missing digest prefix, or unsupported digest: message=b'\{whirlpool\}/)
      await peer.until(() => peer.closed)
      await stillServes(listener, 'right')
    })

    it('a disconnect in the middle of the handshake: accept() raises OSError (end of file during message), the listener goes on', async () => {
      const listener = await listen(['127.0.0.1', 0], { authkey: 'right' })
      const accepted = later(listener.accept())
      const peer = await raw(listener.address)
      await peer.readFrame() // the challenge
      peer.write(Buffer.from([0, 0, 0, 40, 0x7b, 0x73, 0x68])) // 40 bytes announced, 3 sent
      peer.end()
      const error = await accepted.catch((e: unknown) => e)
      expect(error).toBeInstanceOf(lib.OSError)
      expect((error as Error).message).toBe('got end of file during message')
      await peer.until(() => peer.closed)
      await stillServes(listener, 'right')
    })

    it('a peer that never answers the challenge is dropped after handshakeTimeout; others are served meanwhile', async () => {
      const listener = await listen(['127.0.0.1', 0], { authkey: 'right', handshakeTimeout: 1 })
      const silent = await raw(listener.address)
      await silent.readFrame()
      await stillServes(listener, 'right')
      await expect(listener.accept()).rejects.toThrow(/did not complete the authentication handshake within 1 seconds/)
      await silent.until(() => silent.closed)
    })

    it('an oversized length prefix (4 GiB) after authentication: recv() raises OSError at once, nothing is buffered, the socket is closed', async () => {
      const listener = await listen(['127.0.0.1', 0], { authkey: 'right' })
      const accepted = later(listener.accept())
      const peer = await raw(listener.address)
      expect(await peer.answerChallenge('right')).toBe('#WELCOME#')
      await peer.deliverChallenge('right')
      const conn = await accepted
      cleanups.push(() => conn.close())
      const before = process.memoryUsage().arrayBuffers
      const header = Buffer.alloc(12)
      header.writeInt32BE(-1)
      header.writeBigUInt64BE(4n * 1024n ** 3n, 4)
      peer.write(header)
      peer.write(Buffer.alloc(64 * 1024, 1))
      await expect(conn.recv()).rejects.toThrow(/bad message length: the peer announced 4294967296 bytes, more than the limit of 134217728/)
      await peer.until(() => peer.closed)
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024)
      await expect(conn.recv()).rejects.toThrow(/bad message length/)
      await stillServes(listener, 'right')
    })

    it('a claimed 512 MiB message under a 1 GiB limit, of which 1 KiB arrives: memory stays bounded; its disconnect mid-message is OSError', async () => {
      const listener = await listen(['127.0.0.1', 0], { maxMessageSize: 1024 ** 3 })
      const accepted = later(listener.accept())
      const peer = await raw(listener.address)
      const conn = await accepted
      cleanups.push(() => conn.close())
      const before = process.memoryUsage().arrayBuffers
      const header = Buffer.alloc(4)
      header.writeInt32BE(512 * 1024 * 1024)
      peer.write(header)
      peer.write(Buffer.alloc(1024, 2))
      expect(await conn.poll(0.3)).toBe(false)
      await stillServes(listener)
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024)
      peer.end()
      await expect(conn.recv()).rejects.toThrow('got end of file during message')
      expect(await conn.poll()).toBe(true)
    })

    it('a truncated frame, and a disconnect in the middle of a length prefix: OSError got end of file during message', async () => {
      const listener = await listen(['127.0.0.1', 0])
      for (const partial of [Buffer.from([0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), Buffer.from([0, 0])]) {
        const accepted = later(listener.accept())
        const peer = await raw(listener.address)
        const conn = await accepted
        cleanups.push(() => conn.close())
        peer.writeFrame(bytes('a whole message first'))
        peer.write(partial)
        peer.end()
        expect(text(await conn.recvBytes())).toBe('a whole message first')
        await expect(conn.recv()).rejects.toThrow('got end of file during message')
        await stillServes(listener)
      }
    })

    it('a negative length is refused; a disconnect between messages is EOFError', async () => {
      const listener = await listen(['127.0.0.1', 0])
      let accepted = later(listener.accept())
      let peer = await raw(listener.address)
      let conn = await accepted
      cleanups.push(() => conn.close())
      peer.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]))
      await expect(conn.recvBytes()).rejects.toThrow(/bad message length: the peer sent a negative length/)
      await peer.until(() => peer.closed)
      accepted = later(listener.accept())
      peer = await raw(listener.address)
      conn = await accepted
      peer.writeFrame(bytes('one'))
      peer.end()
      expect(text(await conn.recvBytes())).toBe('one')
      await expect(conn.recv()).rejects.toBeInstanceOf(lib.EOFError)
      await stillServes(listener)
    })

    it('a well-framed message that is not a serialized value: recv() raises OSError, the framing is intact and the next message reads', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const accepted = later(listener.accept())
      const peer = await raw(listener.address)
      const conn = await accepted
      cleanups.push(() => conn.close())
      peer.writeFrame(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x42]))
      peer.writeFrame(bytes('raw bytes'))
      await expect(conn.recv()).rejects.toThrow(/not a value sent with send\(\)/)
      expect(text(await conn.recvBytes())).toBe('raw bytes')
    })

    it('a flood of empty messages nobody reads: reading pauses (each message counts, not only its bytes); all are read later', async () => {
      // A Unix socket: its kernel buffers are small, so what the listener does not read stays with the peer.
      const listener = await listen(join(tempDir().dir, 'flood.sock'))
      const accepted = later(listener.accept())
      const peer = await raw(listener.address)
      const conn = await accepted
      cleanups.push(() => conn.close())
      const count = 512 * 1024
      const total = count * 4 // zero lengths: as many empty messages
      let sent = 0
      const chunk = Buffer.alloc(4096)
      const pumped = (async () => {
        while (sent < total) {
          sent += chunk.length
          if (!peer.socket.write(chunk)) await new Promise((resolve) => peer.socket.once('drain', resolve))
        }
      })()
      expect(await conn.poll(20)).toBe(true)
      // The listener has read all it will once the peer has been stuck for a while.
      for (let last = -1, i = 0; i < 60 && sent !== last; i++) {
        last = sent
        await sleep(1)
      }
      expect(sent).toBeLessThan(total / 2)
      let nonEmpty = 0
      for (let i = 0; i < count; i++) if ((await conn.recvBytes()).length !== 0) nonEmpty++
      expect(nonEmpty).toBe(0)
      await pumped
      expect(sent).toBe(total)
      expect(await conn.poll(0.05)).toBe(false)
      await stillServes(listener)
    }, 120_000)

    it('the client side has a limit too: a listener sending more than the client accepts is refused', async () => {
      const listener = await listen(['127.0.0.1', 0])
      const [client, server] = await pair(listener, { maxMessageSize: 1024 })
      await server.sendBytes(new Uint8Array(2048))
      await expect(client.recvBytes()).rejects.toThrow(/more than the limit of 1024/)
    })

    it('backlog bounds the connections waiting for accept(): beyond it they are closed at once', async () => {
      const listener = await listen(['127.0.0.1', 0], { authkey: 'k', backlog: 2 })
      const waiting = [await raw(listener.address), await raw(listener.address)]
      for (const peer of waiting) await peer.readFrame()
      const third = await raw(listener.address)
      await third.until(() => third.closed)
      for (const peer of waiting) peer.destroy()
      await expect(listener.accept()).rejects.toBeInstanceOf(Error)
      await expect(listener.accept()).rejects.toBeInstanceOf(Error)
      await stillServes(listener, 'k')
    })
  })
}
