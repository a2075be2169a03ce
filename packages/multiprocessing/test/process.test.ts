import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fixture, loadTargets, pidAlive, readJson, tempDir, waitFor } from '@conc/testkit'
import { Process, RuntimeError, activeChildren, cpuCount, currentProcess, fromModule, parentProcess } from '@conc/multiprocessing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const tmp = tempDir()
let target: Awaited<ReturnType<typeof loadTargets>>

beforeAll(async () => {
  target = await loadTargets(new URL('../dist/index.js', import.meta.url).href, fromModule)
})
afterAll(() => tmp.cleanup())

describe('Process: signals and exit codes', () => {
  it.each([
    ['SIGKILL', -9],
    ['SIGTERM', -15],
    ['SIGINT', -2],
  ])('a child ended by %s has exitCode %i', async (signal, code) => {
    const p = new Process({ target: target('killSelf'), args: [signal] })
    p.start()
    await p.join()
    expect(p.exitCode).toBe(code)
  })

  it('terminating 20 sleeping children gives -15 for each (B16)', async () => {
    const children = Array.from({ length: 20 }, () => new Process({ target: target('sleep'), args: [30] }))
    for (const child of children) child.start()
    expect(activeChildren().length).toBeGreaterThanOrEqual(20)
    for (const child of children) child.terminate()
    await Promise.all(children.map((child) => child.join()))
    expect(children.map((child) => child.exitCode)).toEqual(children.map(() => -15))
    expect(activeChildren().filter((child) => children.includes(child))).toEqual([])
  })

  it('pid is the child process id, same as ident', async () => {
    const out = tmp.file('pid.json')
    const p = new Process({ target: target('selfInfo'), args: [out] })
    expect(p.pid).toBeNull()
    p.start()
    await p.join()
    expect(p.pid).toBe(p.ident)
    expect((readJson(out) as { pid: number }).pid).toBe(p.pid)
  })
})

describe('Process: the process tree', () => {
  it('a daemonic process may not have children', async () => {
    const out = tmp.file('daemon-children.json')
    const p = new Process({ target: target('tryStart'), args: [out], daemon: true })
    p.start()
    await p.join()
    expect(readJson(out)).toEqual({ name: RuntimeError.name, message: 'daemonic processes are not allowed to have children' })
  })

  it('the main process knows itself (B23)', () => {
    const me = currentProcess()
    expect(me.name).toBe('MainProcess')
    expect(me.ident).toBe(process.pid)
    expect(me.isAlive()).toBe(true)
    expect(me.daemon).toBe(false)
    expect(me.exitCode).toBeNull()
    expect(parentProcess()).toBeNull()
    expect(Number.isInteger(cpuCount()) && cpuCount() >= 1).toBe(true)
  })

  it('children end when the parent is SIGKILLed, busy or idle: no orphans', async () => {
    const parent = spawn(process.execPath, [fixture('program.mjs'), 'orphans'], {
      env: { ...process.env, CONC_BACKEND: new URL('../dist/index.js', import.meta.url).href },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const lines = createInterface({ input: parent.stdout })
    const pids = await new Promise<number[]>((resolve, reject) => {
      lines.on('line', (line) => {
        const match = /^pids=(.*)$/.exec(line)
        if (match?.[1] !== undefined) resolve(match[1].split(',').map(Number))
      })
      parent.once('exit', () => reject(new Error('the parent exited before printing its children')))
    })
    expect(pids).toHaveLength(2)
    // Let the busy child enter its loop, where no JS handler can run.
    await new Promise((resolve) => setTimeout(resolve, 300))
    for (const pid of pids) expect(pidAlive(pid)).toBe(true)
    parent.kill('SIGKILL')
    expect(await waitFor(() => pids.every((pid) => !pidAlive(pid)), 5000)).toBe(true)
  })
})
