/**
 * Small plain messages cross the IPC channel as JSON text (src/json-wire.ts), everything else
 * through V8 serialization. Either way a value must arrive exactly as V8 would carry it: what JSON
 * would change (undefined, -0, NaN, BigInt, Map, typed arrays, Dates, holes, cycles, errors...)
 * must decline the JSON path.
 */
import { deserialize, serialize } from 'node:v8'
import { ProcessPoolExecutor, fromModule } from '@conc/multiprocessing'
import { afterAll, describe, expect, it } from 'vitest'
import { plainWire } from '../src/json-wire.js'

const fixture = new URL('./fixtures/wire-values.mjs', import.meta.url).href
const targets = (await import(fixture)) as { identity: (x: unknown) => unknown; describe: (x: unknown) => string }
const identity = fromModule(targets.identity, fixture, 'identity')
const describeIt = fromModule(targets.describe, fixture, 'describe')

const cyclic = (): unknown => {
  const o: Record<string, unknown> = { a: 1 }
  o.self = o
  return o
}
const withNamed = (): unknown => Object.assign([1, 2], { extra: 3 })
class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** Values JSON carries exactly: the fast path takes them. */
const plain: [string, () => unknown][] = [
  ['a number', () => 41],
  ['a float', () => 0.1 + 0.2],
  ['a big integer-valued double', () => 2 ** 60],
  ['a string with a lone surrogate and escapes', () => 'a\ud800b"\\\n\u0000'],
  ['null', () => null],
  ['booleans in an array', () => [true, false]],
  ['a nested plain object', () => ({ a: [1, { b: 'c' }], d: { e: null } })],
  ['an object with a __proto__ key', () => JSON.parse('{"__proto__": {"x": 1}, "y": 2}')],
  ['an object with integer-like keys', () => ({ 2: 'b', 1: 'a', z: 0 })],
  ['a null-prototype object', () => Object.assign(Object.create(null) as object, { a: 1 })],
  ['an empty array and object', () => [[], {}]],
]

/** Values JSON would change: they go through V8. */
const special: [string, () => unknown][] = [
  ['undefined', () => undefined],
  ['undefined in an array and an object', () => [undefined, { a: undefined }]],
  ['-0', () => -0],
  ['-0 nested', () => ({ a: [-0] })],
  ['NaN and Infinity', () => [Number.NaN, Infinity, -Infinity]],
  ['a BigInt', () => 2n ** 70n],
  ['a Map and a Set', () => [new Map([[1, { a: 'b' }]]), new Set([1, 'x'])]],
  ['typed arrays and a Buffer', () => [new Uint8Array([1, 2, 3]), new Float64Array([-0, Number.NaN]), Buffer.from('hi')]],
  ['a Date', () => new Date(1_700_000_000_123)],
  ['a RegExp', () => /a+b/gi],
  ['an array with holes', () => [1, , 3]], // eslint-disable-line no-sparse-arrays
  ['an array with a named property', withNamed],
  ['a cyclic object', cyclic],
  ['a class instance (arrives as a plain object, as V8 sends it)', () => new Point(1, 2)],
  ['an error', () => new RangeError('out of range')],
  ['a boxed number', () => Object(5) as unknown],
  ['a long string', () => 'x'.repeat(100_000)],
  ['deep nesting', () => JSON.parse('['.repeat(40) + ']'.repeat(40)) as unknown],
  ['a hundred numbers (V8 is as cheap or cheaper from there on)', () => Array.from({ length: 100 }, (_, i) => i)],
  ['many values', () => Array.from({ length: 2000 }, (_, i) => i)],
]

const viaV8 = (value: unknown): unknown => deserialize(serialize(value))

describe('the JSON channel of the process wire', () => {
  it.each(plain)('takes %s, and its JSON parses back to what V8 gives', (_, make) => {
    const message = { t: 'p.run', b: 1, f: 2, m: 1, a: [make()] }
    expect(plainWire(message)).toBe(true)
    expect(JSON.parse(JSON.stringify(message))).toStrictEqual(viaV8(message))
  })

  it.each(special)('declines %s', (_, make) => {
    expect(plainWire({ t: 'p.done', b: 1, v: [make()], ms: 0.25 })).toBe(false)
  })

  it('declines a proxy (V8 refuses one; JSON would send it) and a getter that throws', () => {
    expect(plainWire({ t: 'p.run', a: [{ x: 1 }] })).toBe(true)
    expect(plainWire({ t: 'p.run', a: [new Proxy({ x: 1 }, {})] })).toBe(false)
    const throwing = { t: 'p.run', a: [Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('no') } })] }
    expect(plainWire(throwing)).toBe(false)
  })
})

describe('values through a process pool arrive exactly as V8 carries them', () => {
  const executor = new ProcessPoolExecutor({ maxWorkers: 1 })
  afterAll(() => executor.shutdown())

  it.each([...plain, ...special])('%s', async (_, make) => {
    const value = make()
    // There and back: the task's argument (parent → child) and its result (child → parent).
    expect(await executor.submit(identity, value)).toStrictEqual(viaV8(value))
    // As the child sees it, so that a change one way is not hidden by the way back.
    expect(await executor.submit(describeIt, value)).toBe(targets.describe(viaV8(value)))
  })

  it('a value V8 cannot send still fails as before (a function, a proxy)', async () => {
    await expect(executor.submit(identity, (() => 1) as unknown)).rejects.toThrow(/could not be cloned|cannot be sent|clone/i)
    await expect(executor.submit(identity, new Proxy({ x: 1 }, {}))).rejects.toThrow(/could not be cloned|cannot be sent|clone/i)
  })
})
