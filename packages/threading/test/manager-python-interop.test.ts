/**
 * A remote manager authenticates as Python's does: Python's own `BaseManager.connect()` against a
 * @conc manager gets `AuthenticationError` with a wrong key, and with the right one gets past the
 * handshake and is then disconnected (its pickled request is not a @conc message): `EOFError`.
 * The server serves on. Runs where a `python3` is installed.
 */
import { execFileSync } from 'node:child_process'
import { Manager } from '@conc/threading'
import { describe, expect, it } from 'vitest'

function python(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import multiprocessing.managers'], { stdio: 'ignore' })
    return 'python3'
  } catch {
    return undefined
  }
}
const py = python()

const CLIENT = `
import sys
from multiprocessing.managers import BaseManager
class M(BaseManager): pass
M.register('dict')
for key in (b'wrong', b'secret'):
    try:
        M(address=('127.0.0.1', int(sys.argv[1])), authkey=key).connect()
        print('connected')
    except Exception as e:
        print(type(e).__name__, e)
`

describe.runIf(py !== undefined)("a remote manager's handshake is Python's", () => {
  it("Python's connect(): AuthenticationError with a wrong key, EOFError after the handshake with the right one; the server serves on", async () => {
    await using manager = await new Manager({ address: ['127.0.0.1', 0], authkey: 'secret' }).start()
    const port = String((manager.address as [string, number])[1])
    const { execFile } = await import('node:child_process')
    const out = await new Promise<string>((resolve, reject) =>
      execFile(py as string, ['-c', CLIENT, port], { timeout: 20_000 }, (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`)))),
    )
    expect(out.split('\n').map((line) => line.trim()).filter(Boolean)).toEqual(['AuthenticationError digest sent was rejected', 'EOFError'])
    await using client = await new Manager({ address: manager.address, authkey: 'secret' }).connect()
    expect(await client.numberOfObjects()).toBe(0)
  })
})
