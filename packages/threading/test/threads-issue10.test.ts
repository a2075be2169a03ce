/**
 * Threading-only parts of issue 10: `enumerate()`/`activeCount()` list every thread of the
 * process from any thread (python-api.md: the main thread first, then start order; a joined
 * thread drops out), `getIdent()`/`getNativeId()`, and `Thread` has no `interrupt()`.
 */
import { Event, Queue, Thread, ThreadPoolExecutor, activeCount, currentThread, enumerate, fromModule, getIdent, getNativeId, mainThread } from '@conc/threading'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'

const fixture = new URL('./fixtures/threads.mjs', import.meta.url).href
type Fn = (...args: unknown[]) => unknown
let targets: Record<string, Fn>
const started: Thread[] = []

interface Seen {
  readonly threads: { name: string; ident: number; alive: boolean }[]
  readonly count: number
  readonly ident: number
  readonly nativeId: number
  readonly current: number
}

const start = (name: string, args: unknown[], threadName?: string): Thread => {
  const t = new Thread({ target: fromModule(targets[name] as Fn, fixture, name), args, name: threadName })
  t.start()
  started.push(t)
  return t
}

beforeAll(async () => {
  targets = (await import(fixture)) as Record<string, Fn>
})
afterEach(async () => {
  for (const t of started.splice(0)) {
    t.kill()
    await t.join()
  }
})

describe('enumerate() lists every thread of the process, from any thread (issue 10)', () => {
  it('a thread sees the main thread, its siblings and its own child; the main thread sees the grandchild; renames show everywhere', async () => {
    const out = new Queue()
    const go = new Event()
    const sibling = start('report', [new Queue(), go], 'sibling')
    const parent = start('parent', [out, go, 'grandchild'], 'parent')
    const inParent = (await out.get({ timeout: 30 })) as Seen
    const names = inParent.threads.map((t) => t.name)
    expect(names[0]).toBe('MainThread')
    expect(names).toEqual(expect.arrayContaining(['MainThread', 'sibling', 'parent', 'grandchild']))
    expect(names.indexOf('sibling')).toBeLessThan(names.indexOf('parent'))
    expect(names.indexOf('parent')).toBeLessThan(names.indexOf('grandchild'))
    expect(inParent.count).toBe(inParent.threads.length)
    expect(inParent.threads.every((t) => t.alive)).toBe(true)
    expect(await out.get({ timeout: 30 })).toBe('renamed')

    const here = enumerate()
    expect(here[0]).toBe(mainThread())
    expect(here).toContain(sibling)
    expect(here).toContain(parent)
    expect(parent.name).toBe('parent') // this object is the parent's own; the rename shows in the table
    const grandchild = here.find((t) => t.name === 'grandchild')
    expect(grandchild).toBeDefined()
    expect(grandchild?.isAlive()).toBe(true)
    expect(grandchild?.ident).toBeGreaterThan(0)
    expect(enumerate().find((t) => t.name === 'grandchild')).toBe(grandchild)
    expect(activeCount()).toBe(here.length)

    await go.set()
    await grandchild?.join(30)
    expect(grandchild?.isAlive()).toBe(false)
    await parent.join(30)
    await sibling.join(30)
    const after = enumerate().map((t) => t.name)
    expect(after).not.toContain('grandchild')
    expect(after).not.toContain('parent')
    expect(after).not.toContain('sibling')
  }, 90_000)

  it('pool workers are threads too: they are listed while the pool lives, wherever it was made', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1, threadNamePrefix: 'outer-pool' })
    await executor.submit(fromModule(targets.noop as Fn, fixture, 'noop'))
    const out = new Queue()
    const go = new Event()
    start('withPool', [out, go])
    const inThread = (await out.get({ timeout: 30 })) as Seen
    expect(inThread.threads.map((t) => t.name)).toEqual(expect.arrayContaining(['outer-pool_0', 'inner-pool_0']))
    expect(enumerate().map((t) => t.name)).toEqual(expect.arrayContaining(['outer-pool_0', 'inner-pool_0']))
    await go.set()
    await executor.shutdown()
    expect(enumerate().map((t) => t.name)).not.toContain('outer-pool_0')
  }, 90_000)
})

describe('getIdent() and getNativeId() (issue 10)', () => {
  it('getIdent() is the thread id (0 here); getNativeId() is the OS thread id (the pid in the main thread on Linux), distinct per thread', async () => {
    expect(getIdent()).toBe(0)
    expect(getIdent()).toBe(currentThread().ident)
    if (process.platform === 'linux') expect(getNativeId()).toBe(process.pid)
    const out = new Queue()
    const go = new Event()
    const a = start('report', [out, go])
    const b = start('report', [out, go])
    const seen = [(await out.get({ timeout: 30 })) as Seen, (await out.get({ timeout: 30 })) as Seen]
    expect(seen.map((s) => s.ident).sort()).toEqual([a.ident, b.ident].sort())
    for (const s of seen) expect(s.ident).toBe(s.current)
    const natives = new Set([getNativeId(), ...seen.map((s) => s.nativeId)])
    expect(natives.size).toBe(3)
    await go.set()
  }, 60_000)

  it('a Thread has no interrupt(): threads receive no signals', () => {
    expect('interrupt' in new Thread()).toBe(false)
  })
})
