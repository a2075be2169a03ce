/**
 * The arrays of a pool's messages (a batch's arguments, a worker's results) and `map`'s result
 * are packed arrays, never `new Array(n)`: V8 clones and serializes a holey array element by
 * element as a sparse one, each index written out (slower, and about twice the bytes), even once
 * every slot is set. The serialized size tells the two forms apart.
 */
import { serialize } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { MapResult } from '../src/executor/async-result.js'
import { MODE_ONE, packedArray } from '../src/executor/protocol.js'
import { taskPayloads } from '../src/executor/task-args.js'
import { Task } from '../src/executor/task.js'
import type { UnitHandle } from '../src/backend.js'

const N = 256
/** The size of the same values in a packed array (pushed one by one: a spread of a holey array stays holey). */
const dense = (values: readonly unknown[]): number => {
  const packed: unknown[] = []
  for (let i = 0; i < values.length; i++) packed.push(values[i])
  return serialize(packed).length
}
const holey = (values: readonly unknown[]): unknown[] => {
  const out = new Array<unknown>(values.length)
  for (let i = 0; i < values.length; i++) out[i] = values[i]
  return out
}

describe('the arrays that travel are packed (V8 serializes them densely)', () => {
  it('tells the forms apart: a holey array with every slot set serializes bigger', () => {
    const values = Array.from({ length: N }, (_, i) => i)
    expect(serialize(holey(values)).length).toBeGreaterThan(dense(values))
  })

  it('packedArray(n): n undefined values, dense once filled in any order', () => {
    const a = packedArray(N)
    expect(a).toHaveLength(N)
    expect(a.every((x) => x === undefined)).toBe(true)
    for (let i = N - 1; i >= 0; i -= 2) a[i] = i
    for (let i = N - 2; i >= 0; i -= 2) a[i] = `v${i}`
    expect(serialize(a).length).toBe(dense(a))
  })

  it("a batch's arguments (taskPayloads)", () => {
    const sink = { start: () => true, resolve: () => undefined, reject: () => undefined, cancel: () => undefined }
    const batch = Array.from({ length: N }, (_, i) => new Task({ id: 1 } as never, MODE_ONE, { i }, sink, undefined, i))
    const { a } = taskPayloads(batch, {} as UnitHandle)
    expect(a).toEqual(batch.map((task) => task.payload))
    expect(serialize(a).length).toBe(dense(a))
  })

  it("map's result array (MapResult.values), filled chunk by chunk out of order", () => {
    const result = new MapResult<number>(N, 2, {})
    result._chunk(N / 2, Array.from({ length: N / 2 }, (_, i) => N / 2 + i))
    result._chunk(0, Array.from({ length: N / 2 }, (_, i) => i))
    expect(result.values).toEqual(Array.from({ length: N }, (_, i) => i))
    expect(serialize(result.values).length).toBe(dense(result.values))
  })
})
