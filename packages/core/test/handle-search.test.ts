/**
 * The search for primitives inside a value (a queued item, a task's arguments) is on the hot path
 * once any primitive exists: it visits what structured clone would copy, cheaply, and must still
 * find a primitive wherever it is (past its quick budget, through cycles, shared objects, Maps).
 */
import { describe, expect, it } from 'vitest'
import { Lock, Queue } from '../src/index.js'

const refused = async (item: unknown): Promise<string> => {
  const queue = new Queue()
  try {
    await queue.put(item)
    return 'put'
  } catch (error) {
    return (error as Error).message
  }
}
const INHERITANCE = /Lock objects should only be shared between units through inheritance/

class Holder {
  constructor(readonly inside: unknown) {}
}

describe('the search for primitives in a value', () => {
  it('finds a Lock anywhere structured clone would copy it', async () => {
    const lock = new Lock()
    expect(await refused({ a: [1, 'x', { b: lock }] })).toMatch(INHERITANCE)
    expect(await refused(new Map([[{ key: lock }, 1]]))).toMatch(INHERITANCE)
    expect(await refused(new Map([[1, [lock]]]))).toMatch(INHERITANCE)
    expect(await refused(new Set([new Holder(lock)]))).toMatch(INHERITANCE)
    const noProto = Object.create(null) as Record<string, unknown>
    noProto.lock = lock
    expect(await refused([noProto])).toMatch(INHERITANCE)
  })

  it('finds a Lock after more objects than its quick part visits, without starting over', async () => {
    const lock = new Lock()
    const many: unknown[] = Array.from({ length: 150_000 }, (_, i) => ({ i, tags: ['a'] }))
    many.push({ last: lock })
    expect(await refused(many)).toMatch(INHERITANCE)
  })

  it('finds a Lock behind a cycle and past shared objects that would take 2^40 paths to visit one by one', async () => {
    const lock = new Lock()
    const ring: { next?: unknown; lock?: Lock }[] = Array.from({ length: 200 }, () => ({}))
    ring.forEach((node, i) => (node.next = ring[(i + 1) % ring.length]))
    ;(ring[150] as { lock?: Lock }).lock = lock
    expect(await refused(ring[0])).toMatch(INHERITANCE)

    let ladder: unknown = { bottom: lock }
    for (let level = 0; level < 40; level++) ladder = { left: ladder, right: ladder }
    const started = performance.now()
    expect(await refused(ladder)).toMatch(INHERITANCE)
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it('lets plain values through: typed arrays, buffers, strings, numbers, and large shared objects', async () => {
    new Lock()
    const shared = Array.from({ length: 1000 }, (_, i) => ({ i }))
    const item = {
      floats: new Float64Array(1024),
      bytes: new Uint8Array(16).buffer,
      text: 'x'.repeat(1000),
      many: Array.from({ length: 1000 }, () => ({ shared })),
      when: new Date(0),
    }
    expect(await refused(item)).toBe('put')
  })
})
