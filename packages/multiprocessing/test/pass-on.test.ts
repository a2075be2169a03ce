/**
 * Issue 7 §2, "where a backend truly cannot, raise a clear error at submit": a primitive a child
 * process received lives in its parent (served over IPC), so the child cannot hand it to a
 * thread, which would need the primitive's shared memory. Thread pools and `Thread` in that child
 * refuse it at once with a ConcTypeError; the child's own primitives go to its threads.
 */
import { Lock, ProcessPoolExecutor, fromModule } from '@conc/multiprocessing'
import { afterAll, describe, expect, it } from 'vitest'

const fixtures = new URL('./fixtures/pass-on.mjs', import.meta.url)
const passOnToThreads = fromModule(async (_lock: Lock): Promise<Record<string, unknown>> => ({}), fixtures, 'passOnToThreads')
const executor = new ProcessPoolExecutor({ maxWorkers: 1 })
afterAll(() => executor.shutdown())

describe('a primitive a child process received, passed on to a thread in that child', () => {
  it('is refused at submit() and at Thread.start() with a ConcTypeError; the child still uses it, and its own Lock goes to its threads', async () => {
    const lock = new Lock()
    const refused = {
      concTypeError: true,
      code: 'ERR_CONC_DATA_CLONE',
      message: 'a Lock received from a parent process cannot be passed on to a thread; create it in this process, or pass it to a Process',
    }
    expect(await executor.submit(passOnToThreads, lock)).toEqual({
      submit: refused,
      thread: refused,
      submitOwn: { ok: 'held' },
      stillUsable: { ok: 'held' },
    })
    // The parent's lock was left free.
    expect(await lock.acquire({ timeout: 5 })).toBe(true)
    await lock.release()
  }, 60_000)
})
