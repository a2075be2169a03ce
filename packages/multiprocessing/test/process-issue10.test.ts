/**
 * Multiprocessing-only parts of issue 10: Python 3.14's `Process.interrupt()` (SIGINT), and the
 * start-method functions (`getContext`, `getStartMethod`, `setStartMethod`, `getAllStartMethods`).
 */
import { readFileSync } from 'node:fs'
import { BrokenProcessPool, Event, Pool, Process, ProcessPoolExecutor, Queue, fromModule, getAllStartMethods, getContext, getStartMethod, setStartMethod } from '@conc/multiprocessing'
import { tempDir } from '@conc/testkit'
import { describe, expect, it } from 'vitest'

const fixture = new URL('./fixtures/signals.mjs', import.meta.url).href
const { sleepLong, handleInterrupt, recordSigterm } = (await import(fixture)) as Record<string, (...args: unknown[]) => unknown>

describe('Process.interrupt() (Python 3.14)', () => {
  it("sends SIGINT: Node's default ends the child by the signal (exitCode -2); a child that handles it decides", async () => {
    const p = new Process({ target: fromModule(sleepLong!, fixture, 'sleepLong') })
    p.interrupt() // not started: nothing
    p.start()
    await new Promise((resolve) => setTimeout(resolve, 500))
    p.interrupt()
    await p.join(30)
    expect(p.exitCode).toBe(-2)
    p.interrupt() // ended: nothing

    const ready = new Event()
    const handled = new Process({ target: fromModule(handleInterrupt!, fixture, 'handleInterrupt'), args: [ready] })
    handled.start()
    expect(await ready.wait(30)).toBe(true)
    handled.interrupt()
    await handled.join(30)
    expect(handled.exitCode).toBe(3)
    handled.close()
    expect(() => handled.interrupt()).toThrow('process object is closed')
  }, 60_000)
})

describe('terminateWorkers() / killWorkers() signals (Python 3.14)', () => {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8')
    } catch {
      return ''
    }
  }
  it.each([
    ['terminateWorkers', 'SIGTERM'],
    ['killWorkers', 'started'],
  ] as const)('%s(): a worker gets SIGTERM at once (a handler runs), or SIGKILL (none runs); not a polite stop', async (method, seen) => {
    const file = `${tempDir().dir}/signal`
    const executor = new ProcessPoolExecutor({ maxWorkers: 1 })
    const running = executor.submit(fromModule(recordSigterm!, fixture, 'recordSigterm'), file)
    for (let i = 0; i < 600 && read(file) !== 'started'; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(read(file)).toBe('started')
    const asked = Date.now()
    await executor[method]()
    await expect(running).rejects.toBeInstanceOf(BrokenProcessPool)
    const [what, when] = read(file).split(' ')
    expect(what).toBe(seen)
    // At once: a polite stop would wait for the task, then signal after a 2 s grace.
    if (when !== undefined) expect(Number(when) - asked).toBeLessThan(1500)
    expect(executor.workerIds).toEqual([])
  }, 60_000)
})

describe('start methods and contexts', () => {
  it("'spawn' is the one start method; getContext('spawn') has the package's classes; others are Python's ValueError", () => {
    expect(getAllStartMethods()).toEqual(['spawn'])
    expect(getStartMethod(true)).toBe(null)
    const ctx = getContext('spawn')
    expect(ctx.Process).toBe(Process)
    expect(ctx.Pool).toBe(Pool)
    expect(ctx.Queue).toBe(Queue)
    expect(ctx.getStartMethod()).toBe('spawn')
    expect(() => ctx.setStartMethod('spawn')).toThrow('cannot set start method of concrete context')
    expect(getContext()).toBe(ctx)
    expect(getStartMethod()).toBe('spawn')
    expect(() => getContext('fork')).toThrow("cannot find context for 'fork'")
    expect(() => getContext('forkserver')).toThrow(/ValueError|cannot find context/)
    expect(() => setStartMethod('spawn')).toThrow('context has already been set')
    setStartMethod('spawn', true)
    expect(() => setStartMethod('fork', true)).toThrow("cannot find context for 'fork'")
    setStartMethod(null, true)
    expect(getStartMethod(true)).toBe(null)
  })
})
