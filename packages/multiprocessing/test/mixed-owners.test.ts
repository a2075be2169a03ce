/**
 * Processes started by different threads of one program reach the program's primitives as
 * different owners. Each thread serves its own processes, and the owner ids those servers hand
 * out are counted per process, not per thread: two threads' first processes were both owner -1,
 * so an RLock held by one was re-entered by the other.
 */
import { Queue, RLock } from '@conc/threading'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain JavaScript fixture
import { namesInProcess, twoThreads } from './fixtures/mixed-owners.mjs'
import { Process, fromModule } from '@conc/multiprocessing'

describe('processes started by two threads', () => {
  it('are two owners of an RLock: the second waits while the first holds it', async () => {
    const lock = new RLock()
    const out = new Queue()
    const threads = twoThreads(lock, out) as { start(): void; join(): Promise<void>; exitCode: number | null }[]
    for (const thread of threads) thread.start()
    const seen = [await out.get({ timeout: 30 }), await out.get({ timeout: 30 })]
    await Promise.all(threads.map((thread) => thread.join()))
    expect(seen).toEqual([
      ['first', true],
      ['second', false],
    ])
    expect(await lock.acquire({ timeout: 5 })).toBe(true)
  }, 60_000)
})

describe('default names of processes made by a thread of a process unit', () => {
  it("extend that process's identity, as Python's do (Process-1:2, not a second Process-2)", async () => {
    const out = new Queue()
    const unit = new Process({ target: fromModule(namesInProcess as (out: Queue) => Promise<void>, new URL('./fixtures/mixed-owners.mjs', import.meta.url), 'namesInProcess'), args: [out] })
    unit.start()
    const names = [await out.get({ timeout: 30 }), await out.get({ timeout: 30 })]
    await unit.join()
    expect(unit.exitCode).toBe(0)
    expect(names).toEqual([`${unit.name}:1`, `${unit.name}:2`])
  }, 60_000)
})
