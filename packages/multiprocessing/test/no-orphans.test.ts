/**
 * No orphans, wherever a process is started: a parent program (fixtures/orphans.mjs) starts busy
 * children (whose event loop never turns) and idle ones; the test SIGKILLs it, where no handler
 * runs, and every child must end within about a second. Once with the kernel guard (Linux's
 * parent-death signal through setpriv, where it exists) and once with it turned off, which is
 * how macOS and a Linux without setpriv run.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { pidAlive, tempDir, waitFor } from '@conc/testkit'
import { afterAll, describe, expect, it } from 'vitest'

const program = fileURLToPath(new URL('./fixtures/orphans.mjs', import.meta.url))
const tmp = tempDir()
afterAll(() => tmp.cleanup())

/**
 * How long the children may outlive their parent's death: "about a second", generously (a test
 * asserts on time only with a wide margin: on a loaded machine the watchdog's thread is scheduled
 * late; typical figures are in the README's no-orphans row).
 */
const BOUND_MS = 3000
/** Starting pools inside a thread on a loaded 2-core machine can take long: room for it. */
const SETUP_MS = 90_000

interface Noted {
  readonly role: string
  readonly pid: number
}

function noted(file: string): Noted[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [role = '', pid = ''] = line.split(' ')
      return { role, pid: Number(pid) }
    })
}

const childPids = (file: string): number[] => [...new Set(noted(file).filter((n) => n.role !== 'threadEnded').map((n) => n.pid))]

let runs = 0

/** Runs the parent program, waits until `lines` are noted, and always cleans up after `check`. */
async function withProgram(
  scenario: string,
  env: NodeJS.ProcessEnv,
  lines: number,
  check: (parent: ChildProcess, pids: number[], file: string) => Promise<void>,
): Promise<void> {
  const file = tmp.file(`${scenario}-${++runs}.txt`)
  const parent = spawn(process.execPath, [program, scenario, file], {
    env: { ...process.env, CONC_NO_PDEATHSIG: undefined, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  try {
    await waitFor(() => noted(file).length >= lines || parent.exitCode !== null, SETUP_MS)
    expect(parent.exitCode).toBeNull()
    expect(noted(file).length).toBeGreaterThanOrEqual(lines)
    const pids = childPids(file)
    for (const pid of pids) expect(pidAlive(pid)).toBe(true)
    await check(parent, pids, file)
  } finally {
    // Whatever the outcome, leave no process behind.
    parent.kill('SIGKILL')
    for (const pid of childPids(file)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone, as it should be
      }
    }
  }
}

async function survivorsAfter(pids: readonly number[]): Promise<number[]> {
  await waitFor(() => pids.every((pid) => !pidAlive(pid)), BOUND_MS)
  return pids.filter(pidAlive)
}

const guards: [string, NodeJS.ProcessEnv][] = [
  ['by default', {}],
  ['with CONC_NO_PDEATHSIG=1 (no kernel guard, as on macOS)', { CONC_NO_PDEATHSIG: '1' }],
]

describe.each(guards)('no orphans %s', (_, env) => {
  it.each([
    ['busy and idle children of the main thread', 'main', 2],
    ['busy and idle children of a worker Thread', 'thread', 2],
    ['the workers of a ProcessPoolExecutor created in a Thread', 'executor', 4],
    ['the workers of a Pool created in a Thread', 'pool', 4],
    ['busy and idle grandchildren under a busy and an idle child', 'grandchildren', 6],
  ])('%s end within about a second of the death of their parent by SIGKILL', { timeout: SETUP_MS + 30_000 }, async (_, scenario, lines) => {
    await withProgram(scenario, env, lines, async (parent, pids) => {
      const died = once(parent, 'exit')
      parent.kill('SIGKILL')
      await died
      expect(await survivorsAfter(pids)).toEqual([])
    })
  })

  it('the children of a Thread end when the Thread is terminated, busy or idle', { timeout: SETUP_MS + 30_000 }, async () => {
    await withProgram('threadEnds', env, 2, async (parent, pids, file) => {
      parent.kill('SIGUSR2')
      expect(await waitFor(() => noted(file).some((n) => n.role === 'threadEnded'), 10_000)).toBe(true)
      expect(await survivorsAfter(pids)).toEqual([])
      expect(parent.exitCode).toBeNull()
    })
  })
})
