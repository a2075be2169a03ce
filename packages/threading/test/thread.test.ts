import { loadTargets, readJson, tempDir } from '@conc/testkit'
import { Thread, activeCount, currentThread, enumerate, fromModule, mainThread } from '@conc/threading'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const tmp = tempDir()
let target: Awaited<ReturnType<typeof loadTargets>>

beforeAll(async () => {
  target = await loadTargets(new URL('../dist/index.js', import.meta.url).href, fromModule)
})
afterAll(() => tmp.cleanup())

describe('threading module helpers (§5 A8, A9)', () => {
  it('mainThread() is MainThread and is the current thread here', async () => {
    expect(mainThread().name).toBe('MainThread')
    expect(currentThread()).toBe(mainThread())
    expect(mainThread().isAlive()).toBe(true)
    expect(mainThread().ident).toBe(0)
    await expect(mainThread().join()).rejects.toThrow('cannot join current thread')
  })

  it('enumerate() lists live threads and drops joined ones; activeCount() counts them', async () => {
    const before = activeCount()
    const t = new Thread({ target: target('sleep'), args: [0.2] })
    expect(enumerate()).not.toContain(t)
    t.start()
    expect(enumerate()).toContain(t)
    expect(enumerate()[0]).toBe(currentThread())
    expect(activeCount()).toBe(before + 1)
    await t.join()
    expect(enumerate()).not.toContain(t)
    expect(activeCount()).toBe(before)
  })

  it('ident is the worker thread id, as the thread itself sees it', async () => {
    const out = tmp.file('ident.json')
    const t = new Thread({ target: target('selfInfo'), args: [out] })
    t.start()
    await t.join()
    expect((readJson(out) as { ident: number }).ident).toBe(t.ident)
  })
})
