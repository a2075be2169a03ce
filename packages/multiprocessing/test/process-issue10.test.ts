/**
 * Multiprocessing-only parts of issue 10: Python 3.14's `Process.interrupt()` (SIGINT), and the
 * start-method functions (`getContext`, `getStartMethod`, `setStartMethod`, `getAllStartMethods`).
 */
import { Event, Pool, Process, Queue, fromModule, getAllStartMethods, getContext, getStartMethod, setStartMethod } from '@conc/multiprocessing'
import { describe, expect, it } from 'vitest'

const fixture = new URL('./fixtures/signals.mjs', import.meta.url).href
const { sleepLong, handleInterrupt } = (await import(fixture)) as Record<string, (...args: unknown[]) => unknown>

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
