/**
 * What a pool counts as a payload's size (`payloadBytes`): the batching bound, `map`'s default
 * chunks and the allocator hint all use it. Binary data and strings count where they are found,
 * down to two levels through plain objects and arrays; the rest counts nothing, so that the walk
 * stays cheap on every task.
 */
import { describe, expect, it } from 'vitest'
import { MODE_CALL, MODE_CHUNK, MODE_ONE, MODE_STAR_CHUNK, argumentDepth, payloadBytes, resultDepth } from '../src/executor/protocol.js'

const KiB = 1024

describe('payloadBytes', () => {
  it('counts binary data and strings, bare or held by a plain object or an array', () => {
    expect(payloadBytes(new Uint8Array(300 * KiB))).toBe(300 * KiB)
    expect(payloadBytes(new ArrayBuffer(10))).toBe(10)
    expect(payloadBytes('abc')).toBe(3)
    expect(payloadBytes({ name: 'ab', data: new Uint8Array(100) })).toBe(102)
    expect(payloadBytes(['ab', new Float64Array(4)])).toBe(34)
    // A task's arguments hold its payload: `submit(fn, { data })` and `[{ data }]` results.
    expect(payloadBytes([{ data: new Uint8Array(100) }])).toBe(100)
    expect(payloadBytes(Object.assign(Object.create(null), { data: new Uint8Array(7) }))).toBe(7)
  })

  it('does not look deeper than two levels, nor into class instances, Maps or numbers', () => {
    expect(payloadBytes([{ inner: { data: new Uint8Array(100) } }])).toBe(0)
    expect(payloadBytes({ inner: { data: new Uint8Array(100) } })).toBe(100)
    class Holder {
      data = new Uint8Array(100)
    }
    expect(payloadBytes(new Holder())).toBe(0)
    expect(payloadBytes(new Map([['data', new Uint8Array(100)]]))).toBe(0)
    expect(payloadBytes([1, 2, 3, { x: 4 }])).toBe(0)
    // At a depth of 1 (an item of `map`), an object's own values only.
    expect(payloadBytes({ data: new Uint8Array(5), inner: ['abc'] }, undefined, 1)).toBe(5)
  })

  it('counts a long array by its first 64 items, in proportion', () => {
    expect(payloadBytes(Array.from({ length: 640 }, () => 'x'.repeat(10)))).toBe(6400)
    expect(payloadBytes(Array.from({ length: 64 }, () => 'x'.repeat(10)))).toBe(640)
  })

  it('looks at the first 64 keys of an object', () => {
    const wide: Record<string, string> = {}
    for (let i = 0; i < 100; i++) wide[`k${i}`] = 'x'
    expect(payloadBytes(wide)).toBe(64)
  })

  it('counts a sparse array by what its sample holds, and shared memory as nothing (it is not copied)', () => {
    const sparse: unknown[] = ['x'.repeat(1000)]
    sparse.length = 10_000_000
    expect(payloadBytes(sparse)).toBe(1000)
    expect(payloadBytes(new Uint8Array(new SharedArrayBuffer(1024)))).toBe(0)
    expect(payloadBytes({ data: new Int32Array(new SharedArrayBuffer(1024)) })).toBe(0)
  })

  it('counts 0 for a value that throws while it is read (its send then reports the error)', () => {
    const throwing = {
      name: 'x',
      get data(): never {
        throw new Error('no data here')
      },
    }
    expect(payloadBytes(throwing)).toBe(0)
    expect(payloadBytes([throwing])).toBe(0)
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    expect(payloadBytes({ proxy })).toBe(0)
  })

  it("looks into a task's arguments (a map item's own values) and results (two levels) by mode", () => {
    const item = { name: 'x', data: new Uint8Array(100) }
    // submit(fn, item): the payload is the argument; apply(fn, [item]): the arguments.
    expect(payloadBytes(item, undefined, argumentDepth(MODE_ONE))).toBe(101)
    expect(payloadBytes([item], undefined, argumentDepth(MODE_CALL))).toBe(101)
    expect(payloadBytes([item, item], undefined, argumentDepth(MODE_CHUNK))).toBe(202)
    expect(payloadBytes([[item], [item]], undefined, argumentDepth(MODE_STAR_CHUNK))).toBe(202)
    // Not deeper than an argument's own values.
    expect(payloadBytes({ inner: item }, undefined, argumentDepth(MODE_ONE))).toBe(0)
    // A result down to two levels; a chunk's results each so.
    expect(payloadBytes([item], undefined, resultDepth(MODE_CALL))).toBe(101)
    expect(payloadBytes([[item]], undefined, resultDepth(MODE_CHUNK))).toBe(101)
  })

  it('counts nothing for the buffers a transfer list moves', () => {
    const data = new Uint8Array(100)
    expect(payloadBytes({ data }, [data.buffer])).toBe(0)
    expect(payloadBytes([data, new Uint8Array(3)], [data.buffer])).toBe(3)
  })
})
