/**
 * The wire is Python's: a Python client authenticates with a Listener and exchanges byte messages
 * with it, and a Client does the same with a Python listener; a wrong key fails on both sides.
 * Runs where a `python3` is installed (any version: 3.11 and older speak the legacy HMAC-MD5
 * handshake, 3.12+ the `{sha256}` one; both are understood).
 */
import { execFileSync, spawn } from 'node:child_process'
import { connection } from '@conc/threading'
import { describe, expect, it } from 'vitest'

function python(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import multiprocessing.connection'], { stdio: 'ignore' })
    return 'python3'
  } catch {
    return undefined
  }
}
const py = python()

function run(code: string): { done: Promise<{ code: number | null; out: string; err: string }>; lines: AsyncIterable<string> } {
  const child = spawn(py as string, ['-c', code], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const waiting: ((line: string) => void)[] = []
  const ready: string[] = []
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      const w = waiting.shift()
      if (w !== undefined) w(line)
      else ready.push(line)
    }
  })
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  return {
    done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err }))),
    lines: {
      async *[Symbol.asyncIterator]() {
        for (;;) yield ready.shift() ?? (await new Promise<string>((resolve) => waiting.push(resolve)))
      },
    },
  }
}

describe.runIf(py !== undefined)('the wire is Python 3\'s multiprocessing.connection', () => {
  it('a Python Client authenticates with a Listener and exchanges bytes; a wrong key fails on both sides', async () => {
    const listener = await connection.Listener(['127.0.0.1', 0], { authkey: 'secret' })
    const port = (listener.address as [string, number])[1]
    const client = run(`
from multiprocessing.connection import Client
c = Client(('127.0.0.1', ${port}), authkey=b'secret')
c.send_bytes(b'hello from python')
print(c.recv_bytes().decode())
c.close()
try:
    Client(('127.0.0.1', ${port}), authkey=b'wrong')
except Exception as e:
    print(type(e).__name__, e)
`)
    const conn = await listener.accept()
    expect(new TextDecoder().decode(await conn.recvBytes())).toBe('hello from python')
    await conn.sendBytes(new TextEncoder().encode('hello from node'))
    await expect(listener.accept()).rejects.toThrow('digest received was wrong')
    const result = await client.done
    expect(result.err).toBe('')
    expect(result.out).toBe('hello from node\nAuthenticationError digest sent was rejected\n')
    await conn.close()
    await listener.close()
  }, 60_000)

  it('a Client authenticates with a Python Listener and exchanges bytes; a wrong key is AuthenticationError', async () => {
    const server = run(`
from multiprocessing.connection import Listener
with Listener(('127.0.0.1', 0), authkey=b'secret') as l:
    print(l.address[1], flush=True)
    with l.accept() as c:
        c.send_bytes(c.recv_bytes().upper())
    try:
        l.accept()
    except Exception as e:
        print(type(e).__name__, e, flush=True)
`)
    const lines = server.lines[Symbol.asyncIterator]()
    const port = Number((await lines.next()).value)
    const conn = await connection.Client(['127.0.0.1', port], { authkey: 'secret' })
    await conn.sendBytes(new TextEncoder().encode('shout'))
    expect(new TextDecoder().decode(await conn.recvBytes())).toBe('SHOUT')
    await conn.close()
    await expect(connection.Client(['127.0.0.1', port], { authkey: 'wrong' })).rejects.toThrow('digest sent was rejected')
    expect((await lines.next()).value).toBe('AuthenticationError digest received was wrong')
    const result = await server.done
    expect(result.code).toBe(0)
  }, 60_000)
})
