/**
 * The allocator hint (src/internal/big-blocks.ts): one 30 MiB array buffer at the first big
 * payload, none for small ones or with CONC_NO_ALLOCATOR_HINT=1, and a refused allocation is no
 * error (the pool's dispatch calls it). Its effect on glibc is proven by the pool contract test
 * ("freed blocks of 1 MiB are reused").
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest'

const Original = globalThis.ArrayBuffer
let made: number[] = []

beforeEach(() => {
  vi.resetModules()
  made = []
})
afterEach(() => {
  globalThis.ArrayBuffer = Original
  delete process.env.CONC_NO_ALLOCATOR_HINT
})

/** Counts the array buffers made from now on (and refuses them with `refuse`). */
function watchBuffers(refuse = false): void {
  globalThis.ArrayBuffer = class extends Original {
    constructor(length: number) {
      if (refuse) throw new RangeError('Array buffer allocation failed')
      super(length)
      made.push(length)
    }
  } as ArrayBufferConstructor
}

it('makes one buffer of 30 MiB at the first payload of 128 KiB or more, none before or after', async () => {
  const { bigPayload, allocatorHinted } = await import('../src/internal/big-blocks.js')
  watchBuffers()
  bigPayload(0)
  bigPayload(128 * 1024 - 1)
  expect(made).toEqual([])
  expect(allocatorHinted()).toBe(false)
  bigPayload(1024 * 1024)
  bigPayload(1024 * 1024)
  expect(made).toEqual([30 * 1024 * 1024])
  expect(allocatorHinted()).toBe(true)
})

it('makes none with CONC_NO_ALLOCATOR_HINT=1', async () => {
  const { bigPayload } = await import('../src/internal/big-blocks.js')
  process.env.CONC_NO_ALLOCATOR_HINT = '1'
  watchBuffers()
  bigPayload(1024 * 1024)
  expect(made).toEqual([])
})

it('a refused allocation (strict overcommit, a small ulimit -v) is not an error', async () => {
  const { bigPayload, allocatorHinted } = await import('../src/internal/big-blocks.js')
  watchBuffers(true)
  expect(() => bigPayload(1024 * 1024)).not.toThrow()
  expect(allocatorHinted()).toBe(true)
})
