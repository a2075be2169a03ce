/**
 * Remote managers (CPython's managers.py: `BaseManager(address, authkey)`, `serve_forever()`,
 * `connect()`), run against every backend: a manager served over TCP by a program of its own
 * (fixtures/manager-server.mjs), and clients in this process, in another program and in units of
 * the backend under test.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { serialize } from 'node:v8'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixture, fixtureUrl, pidAlive, runNode, tempDir, waitFor } from './harness.ts'
import { type Fn, type Lib, type LibBackendUnderTest, type Unit } from './contract-kit.ts'

export type ManagerRemoteBackendUnderTest = LibBackendUnderTest

interface ServerProgram {
  readonly child: ChildProcess
  readonly address: [string, number]
  /** Everything it printed so far. */
  output(): string
}

const AUTHKEY = 'abracadabra'
const TARGETS = 'manager-targets.mjs'

/** Starts fixtures/manager-server.mjs and waits for the address it serves on. */
function startServer(backendUrl: string, ...args: string[]): Promise<ServerProgram> {
  const child = spawn(process.execPath, ['--expose-gc', fixture('manager-server.mjs'), AUTHKEY, ...args], {
    env: { ...process.env, CONC_BACKEND: backendUrl, NODE_OPTIONS: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server program did not start: ${stdout}${stderr}`)), 20_000)
    const check = (): void => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'))
      if (line === undefined) return
      clearTimeout(timer)
      child.stdout?.off('data', check)
      resolve({ child, address: (JSON.parse(line) as { address: [string, number] }).address, output: () => stdout + stderr })
    }
    child.stdout?.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the server program exited (${code}): ${stdout}${stderr}`))
    })
  })
}

/** Resolves once `child` has exited, with its exit code. */
const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)))

/** What an unauthenticated peer gets: the bytes the server sends, until it closes the socket. */
function rawPeer(address: [string, number], payload: Uint8Array): Promise<{ received: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: address[0], port: address[1] })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ received: Buffer.concat(chunks), closed: false })
    }, 10_000)
    socket.on('connect', () => socket.write(payload))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ received: Buffer.concat(chunks), closed: true })
    })
  })
}

/** One message framed as multiprocessing.connection frames it (a 4-byte big-endian length). */
function frame(payload: Uint8Array): Uint8Array {
  const out = Buffer.alloc(4 + payload.length)
  out.writeInt32BE(payload.length, 0)
  out.set(payload, 4)
  return out
}

export function defineManagerRemoteContract(backend: ManagerRemoteBackendUnderTest): void {
  const { lib, kind } = backend
  let targets: Record<string, Fn>
  const servers: ServerProgram[] = []
  const managers: Lib[] = []
  const units: Unit[] = []

  /** A manager class of the client side: the typeids the server registered, without callables. */
  const clientClass = (): new (options: unknown) => Lib => {
    const Class = class extends lib.Manager {}
    Class.register('getStore')
    Class.register('getQueue')
    return Class
  }
  const connect = async (address: [string, number], authkey = AUTHKEY): Promise<Lib> => {
    const Class = clientClass()
    const manager = new Class({ address, authkey })
    managers.push(manager)
    return manager.connect()
  }
  const server = async (...args: string[]): Promise<ServerProgram> => {
    const started = await startServer(backend.backendUrl, ...args)
    servers.push(started)
    return started
  }
  const spawnUnit = (name: string, ...args: unknown[]): Unit => {
    const fn = targets[name]
    if (fn === undefined) throw new Error(`no fixture target ${name}`)
    const Runner = lib.Thread ?? lib.Process
    const unit = new Runner({ target: lib.fromModule(fn, fixtureUrl(TARGETS), name), args }) as Unit
    units.push(unit)
    unit.start()
    return unit
  }

  beforeAll(async () => {
    process.env.CONC_BACKEND = backend.backendUrl
    targets = (await import(fixtureUrl(TARGETS))) as Record<string, Fn>
  })
  afterEach(async () => {
    for (const unit of units.splice(0)) {
      if (unit.isAlive()) {
        unit.kill()
        await unit.join()
      }
    }
    for (const made of managers.splice(0)) await made.shutdown()
    for (const { child } of servers.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited(child)
    }
  })

  describe(`${kind} Manager: remote managers over TCP`, () => {
    it('a client in this process and one in another program use the objects of a manager served by a third', async () => {
      const { address } = await server()
      expect(address[0]).toBe('127.0.0.1')
      expect(address[1]).toBeGreaterThan(0)
      const m = await connect(address)
      expect(m.state).toBe('connected')
      const store = await m.getStore()
      await store.set('a', 1)
      expect(await store.get('a')).toBe(1)
      // The SyncManager's containers are made on the server, and nest there.
      const d = await m.dict({ x: 1 })
      await store.set('d', d)
      expect(await store.keys()).toEqual(['a', 'd'])

      const run = await runNode([fixture('manager-client.mjs'), address[0], String(address[1]), AUTHKEY], { backendUrl: backend.backendUrl, timeoutMs: 30_000 })
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      expect(JSON.parse(run.stdout.trim())).toEqual({ a: 1, dictIsProxy: true, dict: { x: 1, y: 'from another program' } })

      expect(await d.toObject()).toEqual({ x: 1, y: 'from another program' })
      const queue = await m.getQueue()
      expect(await queue.get({ timeout: 20 })).toBe('hello from another program')
      expect(typeof (await store.get('client'))).toBe('number')
    })

    it('an object a client made lives on the server while the client holds its proxy, though nothing there does, and is freed once it disconnected', async () => {
      const program = await server()
      const m = await connect(program.address)
      const kept = await m.dict({ kept: true })
      const list = await m.list([1, 2])
      program.child.stdin?.write('gc\n')
      expect(await waitFor(() => program.output().includes('collected'), 20_000)).toBe(true)
      expect(await kept.get('kept')).toBe(true)
      expect(await list.copy()).toEqual([1, 2])
      // Once that client has disconnected, they are freed (seen from another client).
      const other = await connect(program.address)
      const before = await other.numberOfObjects()
      await m.shutdown()
      await new Promise((resolve) => setTimeout(resolve, 200))
      program.child.stdin?.write('gc\n')
      expect(await waitFor(() => program.output().split('collected').length === 3, 20_000)).toBe(true)
      expect(await other.numberOfObjects()).toBe(before - 2)
    })

    it("a proxy from a remote manager passed to this program's units: their calls are forwarded over the connection", async () => {
      const { address } = await server()
      const m = await connect(address)
      const store = await m.getStore()
      const [counts, lock] = [await m.dict(), await m.Lock()]
      const workers = [spawnUnit('countUp', counts, lock, 'n', 10), spawnUnit('countUp', counts, lock, 'n', 10), spawnUnit('storeProxy', store, 'unit', kind)]
      await Promise.all(workers.map((unit) => unit.join()))
      for (const unit of workers) expect(unit.exitCode).toBe(0)
      expect(await counts.get('n')).toBe(20)
      expect(await store.get('unit')).toBe(kind)
    })

    it('a wrong key raises AuthenticationError; the server reads nothing before authentication, drops peers that do not speak its protocol, and goes on serving', async () => {
      const { address } = await server()
      const first = await connect(address)
      const before = await (await first.getStore()).creates()

      await expect(connect(address, 'not the key')).rejects.toBeInstanceOf(lib.AuthenticationError)
      await expect(connect(address, 'not the key')).rejects.toThrow(/digest/)
      // A peer that skips the handshake and sends a manager request at once: challenged, then
      // dropped; its request is never run (the store counts the requests the server ran).
      const request = serialize({ t: 'mgr.call', rid: 1, mid: '', id: 0, name: 'create', args: ['getStore'] })
      const skipped = await rawPeer(address, frame(request))
      expect(skipped.closed).toBe(true)
      expect(skipped.received.subarray(4, 15).toString()).toBe('#CHALLENGE#')
      // Garbage, and an oversized length prefix.
      expect((await rawPeer(address, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).closed).toBe(true)
      expect((await rawPeer(address, frame(new Uint8Array(300)))).closed).toBe(true)

      // Authenticated peers that do not speak the manager's protocol: bytes that are not a value,
      // a value that is not a manager message. Each is disconnected.
      for (const send of [(c: Lib) => c.sendBytes(new Uint8Array([0xff, 0x0d, 0x07])), (c: Lib) => c.send({ hello: 'manager' })]) {
        const raw = await lib.connection.Client(address, { authkey: AUTHKEY })
        await send(raw)
        await expect(raw.recv()).rejects.toBeInstanceOf(lib.EOFError)
        await raw.close()
      }

      const second = await connect(address)
      const store = await second.getStore()
      expect(await store.creates()).toBe(before + 1)
      await store.set('after', 'bad peers')
      expect(await (await first.getStore()).get('after')).toBe('bad peers')
    })

    it('the server shuts down: a call waiting there, every later call and an idle client raise ManagerShutdownError; serveForever() returns', async () => {
      const program = await server()
      const m = await connect(program.address)
      const idle = await connect(program.address)
      const store = await m.getStore()
      const event = await m.Event()
      const waiting = event.wait()
      waiting.catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 200))
      program.child.stdin?.write('shutdown\n')
      await expect(waiting).rejects.toBeInstanceOf(lib.ManagerShutdownError)
      await expect(waiting).rejects.toThrow(`${program.address[0]}:${program.address[1]}`)
      await expect(store.get('a')).rejects.toBeInstanceOf(lib.ManagerShutdownError)
      expect(await exited(program.child)).toBe(0)
      // A client that was not waiting for anything learns it at its next call.
      await expect(idle.numberOfObjects()).rejects.toBeInstanceOf(lib.ManagerShutdownError)
      await expect(idle.numberOfObjects()).rejects.toThrow(`${program.address[0]}:${program.address[1]}`)
      expect(program.output()).toContain('served')
      await expect(connect(program.address)).rejects.toBeInstanceOf(lib.OSError)
    })

    it("a client that ends holding a managed lock: the lock is released for the others; one that shuts down closes its connection only", async () => {
      const program = await server()
      const { address } = program
      const a = await connect(address)
      const lock = await a.Lock()
      await (await a.getStore()).set('lock', lock)
      const run = await runNode([fixture('manager-client.mjs'), address[0], String(address[1]), AUTHKEY, 'hold-lock'], { backendUrl: backend.backendUrl, timeoutMs: 30_000 })
      expect(run.code).toBe(0)
      expect(JSON.parse(run.stdout.trim())).toEqual({ acquired: true })
      // The other program's connection closed with the lock held: released, with a warning there.
      expect(await lock.acquire({ timeout: 20 })).toBe(true)
      expect(await waitFor(() => program.output().includes('CONC_ABANDONED_LOCK'), 5000)).toBe(true)

      expect(await a.numberOfObjects()).toBeGreaterThanOrEqual(1)
      await (await a.getStore()).set('from', 'a')
      await a.shutdown()
      expect(a.state).toBe('shutdown')
      await expect(lock.release()).rejects.toBeInstanceOf(lib.ManagerShutdownError)
      // The server serves on; this program's proxy to the store is remade over the new connection.
      const b = await connect(address)
      expect(await (await b.getStore()).get('from')).toBe('a')
    })

    it("a manager served on a Unix socket by this program, reached by its units with connect(), whose calls reach it even unawaited", async () => {
      const dir = tempDir()
      try {
        const path = dir.file('manager.sock')
        const items = new Map<string, unknown>()
        const Server = (targets.storeServer as (items: Map<string, unknown>) => new (options: unknown) => Lib)(items)
        const m = new Server({ address: path, authkey: AUTHKEY })
        managers.push(m)
        await m.start()
        expect(m.address).toBe(path)
        expect(existsSync(path)).toBe(true)
        const workers = [spawnUnit('connectAndSet', path, AUTHKEY, 'a', 1), spawnUnit('connectAndSetUnawaited', path, AUTHKEY, 'b', 2)]
        await Promise.all(workers.map((unit) => unit.join()))
        for (const unit of workers) expect(unit.exitCode).toBe(0)
        // A call the unit did not await was sent at once: the server applies it after the unit ended.
        expect(Object.fromEntries(items)).toEqual({ a: 1, b: 2 })
        await m.shutdown()
        expect(existsSync(path)).toBe(false)
      } finally {
        dir.cleanup()
      }
    })

    it('with an address: an authkey is needed at both ends, and a manager started without serveForever() ends with its program', async () => {
      expect(() => new lib.Manager({ address: 42 })).toThrow(lib.ValueError)
      expect(() => new lib.Manager({ address: ['127.0.0.1', 0], authkey: 42 })).toThrow(TypeError)
      await expect(new lib.Manager({ address: ['127.0.0.1', 0] }).start()).rejects.toThrow(/needs an authkey/)
      await expect(new lib.Manager({ address: ['127.0.0.1', 1] }).connect()).rejects.toThrow(/needs an authkey/)
      await expect(new lib.Manager({ address: ['127.0.0.1', 0], authkey: AUTHKEY }).dict()).rejects.toThrow(lib.ValueError)
      const program = await server('start-only')
      expect(await exited(program.child)).toBe(0)
      expect(await waitFor(() => !pidAlive(program.child.pid ?? 0), 5000)).toBe(true)
      // Nothing listens there now: connect() fails and leaves the manager as it was.
      const late = new lib.Manager({ address: program.address, authkey: AUTHKEY })
      await expect(late.connect()).rejects.toBeInstanceOf(lib.OSError)
      expect(late.state).toBe('initial')
      // An address in use: start() fails and leaves the manager as it was.
      const busy = new lib.Manager({ address: ['127.0.0.1', 0], authkey: AUTHKEY })
      managers.push(busy)
      await busy.start()
      const clash = new lib.Manager({ address: busy.address, authkey: AUTHKEY })
      await expect(clash.start()).rejects.toThrow(/EADDRINUSE/)
      expect(clash.state).toBe('initial')
    })
  })
}
