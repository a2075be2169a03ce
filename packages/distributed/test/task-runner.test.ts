/**
 * What a worker host's local worker does with a chunk of `map` whose results would not fit one
 * job (no Redis: the task runner is called directly, with a 1 MiB payload limit).
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MODE_CALL, MODE_CHUNK } from '@conc/core/engine'
import { type HostInfo, runJob } from '../src/task-runner.js'
import { moduleVersion } from '../src/version.js'
import { WIRE_VERSION, decodeValue, encodeValue } from '../src/wire.js'

const root = realpathSync(mkdtempSync(join(tmpdir(), 'conc-task-runner-')))
writeFileSync(
  join(root, 'fns.mjs'),
  [
    'export const text = (ch) => ch.repeat(200_000)',
    'export const wrapped = (n) => ({ data: new Uint8Array(n) })',
    'export const withFunction = (n) => ({ n, f: () => n })',
    'export class BigProblem extends Error { name = "BigProblem" }',
    'export const failBig = (n) => { const e = new BigProblem("x".repeat(n)); e.data = new Uint8Array(n); throw e }',
    'export const throwBig = (n) => { throw { blob: "y".repeat(n) } }',
  ].join('\n'),
)
afterAll(() => rmSync(root, { recursive: true, force: true }))

const LIMIT = 1024 * 1024
const host: HostInfo = { root, limit: LIMIT, label: 'worker host test (pid 1)' }

async function runCall(name: string, args: readonly unknown[]) {
  const h = await moduleVersion(join(root, 'fns.mjs'))
  return (await runJob(host, { v: WIRE_VERSION, c: 'client', p: 'fns.mjs', x: name, h, m: MODE_CALL, a: encodeValue(args) })) as { ok?: string; err?: string }
}

async function runChunk(name: string, items: readonly unknown[]) {
  const h = await moduleVersion(join(root, 'fns.mjs'))
  const envelope = (await runJob(host, { v: WIRE_VERSION, c: 'client', p: 'fns.mjs', x: name, h, m: MODE_CHUNK, a: encodeValue(items) })) as {
    ok?: string
    err?: string
    r?: number
  }
  return { envelope, values: envelope.ok === undefined ? undefined : (decodeValue(envelope.ok) as unknown[]) }
}

describe("a map chunk's results on a worker host", () => {
  it('stop before they would pass the payload limit, whatever the results are made of; the host says how many items ran', async () => {
    // 8 results of 200,000 characters: 1.6 MB of one-byte text, 3.2 MB of two-byte text (V8
    // writes a string with any character past Latin-1 at two bytes each); binary data inside
    // an object counts too.
    for (const [name, items] of [
      ['text', Array.from({ length: 8 }, () => 'x')],
      ['text', Array.from({ length: 8 }, () => '中')],
      ['wrapped', Array.from({ length: 8 }, () => 200_000)],
    ] as const) {
      const { envelope, values } = await runChunk(name, items)
      expect(envelope.err).toBeUndefined()
      expect(envelope.ok?.length).toBeLessThanOrEqual(LIMIT)
      expect(envelope.r).toBeGreaterThanOrEqual(1)
      expect(envelope.r).toBeLessThan(8)
      expect(values).toHaveLength(envelope.r as number)
    }
  })

  it('that cannot be sent fail the chunk with MaybeEncodingError, as the local pools do', async () => {
    const { envelope } = await runChunk('withFunction', [1, 2])
    expect(envelope.ok).toBeUndefined()
    const error = decodeValue(envelope.err as string) as { name?: string; message?: string }
    expect(JSON.stringify(error)).toMatch(/MaybeEncodingError/)
  })

  it('that fit come back whole, without a count', async () => {
    const { envelope, values } = await runChunk('wrapped', [1000, 2000, 3000])
    expect(envelope.r).toBeUndefined()
    expect((values as { data: Uint8Array }[]).map((v) => v.data.byteLength)).toEqual([1000, 2000, 3000])
  })
})

describe('an error thrown on a worker host', () => {
  it('that would pass the payload limit comes back shortened within it: its class, the start of its message, and why', async () => {
    const envelope = await runCall('failBig', [2 * LIMIT])
    expect(envelope.ok).toBeUndefined()
    expect(envelope.err?.length).toBeLessThanOrEqual(LIMIT)
    const error = decodeValue(envelope.err as string) as { name: string; message: string; props: Record<string, unknown>; classes?: unknown[] }
    expect(error.name).toBe('BigProblem')
    expect(error.classes?.length).toBeGreaterThan(0)
    expect(error.message).toMatch(/^x{4096}… \(error shortened on the worker host: it took \d+\.\d MiB encoded, more than the 1\.0 MiB a result may carry\)$/)
    expect(error.props).toEqual({})
    const value = decodeValue((await runCall('throwBig', [2 * LIMIT])).err as string) as { name: string; message: string }
    expect(value.name).toBe('Error')
    expect(value.message).toMatch(/^a thrown value too large to send \(error shortened/)
  })

  it('that fits comes back whole', async () => {
    const error = decodeValue((await runCall('failBig', [1000])).err as string) as { message: string; props: { data?: unknown } }
    expect(error.message).toBe('x'.repeat(1000))
    expect(error.props.data).toBeDefined()
  })
})
