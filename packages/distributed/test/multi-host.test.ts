/**
 * Several machines, for real as far as the network goes: Redis and the client in one network
 * namespace, three worker hosts each in its own, joined by veth links. A map runs across the
 * three hosts; mid-map one host is killed (SIGKILL) and another's link goes down. Every result
 * arrives exactly once, in order; the tasks of the lost hosts ran again elsewhere; the cut-off
 * host, once its link is back, has its late result refused. Nothing is left behind.
 *
 * Needs root and `ip netns`. Without them the test is skipped, loudly; with
 * `CONC_REQUIRE_NETNS=1` (set by `.ci/run`) it fails instead.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { type Child, RedisServer, TEST_APP, startChild, startHost, uniqueQueue } from './harness/index.js'
import { Topology, namespacesLeft, netnsProblem } from './harness/netns.js'
import { pidAlive, scratch, waitFor } from './harness/tasks.js'
import { skipped } from './setup/skip.js'

const required = process.env.CONC_REQUIRE_NETNS === '1'
const problem = netnsProblem()
const skip = !required && (skipped || problem !== undefined)
if (skip && !skipped) {
  const lines = [
    'SKIPPED: the @conc/distributed multi-host test (network namespaces) does not run:',
    `${problem}.`,
    'Run it as root with iproute2; CONC_REQUIRE_NETNS=1 makes this a failure (as in CI).',
  ]
  const width = Math.max(...lines.map((line) => line.length)) + 4
  process.stderr.write(`\n${'!'.repeat(width)}\n${lines.map((l) => `! ${l.padEnd(width - 4)} !`).join('\n')}\n${'!'.repeat(width)}\n\n`)
}

const CLIENT = new URL('./fixtures/netns-client.mjs', import.meta.url).pathname
const PORT = 6390
const ITEMS = 60
const SECONDS = 0.3
const files = scratch()

interface Run {
  readonly kind: 'start' | 'end'
  readonly host: string
  readonly item: number
}

function runs(file: string): Run[] {
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [kind, host, item] = line.split(' ')
      return { kind: kind as Run['kind'], host: host as string, item: Number(item) }
    })
}

function results(client: Child): number[] {
  return client.lines.filter((line) => line.startsWith('{"result"')).map((line) => (JSON.parse(line) as { result: number }).result)
}

describe.skipIf(skip)('three worker hosts on their own network namespaces', () => {
  afterAll(() => files.cleanup())

  it('a map across three hosts: one killed (SIGKILL) and another cut off mid-map; every result arrives exactly once', async () => {
    if (problem !== undefined) throw new Error(`CONC_REQUIRE_NETNS=1, but network namespaces cannot be used here: ${problem}`)
    const net = Topology.create(3)
    const started: Child[] = []
    let redis: RedisServer | undefined
    try {
      redis = await RedisServer.start({ bind: '0.0.0.0', port: PORT, wrap: net.exec(net.core) })
      const queue = uniqueQueue('netns')
      const hosts = await Promise.all(
        [1, 2, 3].map((i) =>
          startHost(
            { connection: `redis://${net.coreAddressFor(i)}:${PORT}`, queue, concurrency: 2, wrap: net.exec(net.hosts[i - 1] as string), env: { CONC_TEST_HOST: `h${i}` } },
            `conc-worker h${i}`,
          ),
        ),
      )
      started.push(...hosts)
      const [h1, h2] = hosts as [Child, Child, Child]
      const file = files.file('runs')
      const gate = files.file('gate')
      const client = startChild('netns client', process.execPath, [CLIENT, `redis://127.0.0.1:${PORT}`, queue, TEST_APP, file, String(ITEMS), String(SECONDS), gate], {
        wrap: net.exec(net.core),
      })
      started.push(client)

      // Mid-map: every host has run tasks, and tasks are still queued.
      const midMap = (): boolean => {
        const r = runs(file)
        return ['h1', 'h2', 'h3'].every((h) => r.some((x) => x.kind === 'end' && x.host === h)) && r.filter((x) => x.kind === 'start').length >= 12
      }
      expect(await waitFor(midMap, 60_000)).toBe(true)
      const before = runs(file)
      expect(new Set(before.filter((x) => x.kind === 'start').map((x) => x.item)).size).toBeLessThan(ITEMS - 12)
      h1.kill('SIGKILL')
      net.setLink(2, 'down')
      const cutAt = h2.lines.length
      // What h1 and h2 were running when they were lost: read after the fault, so a task not
      // ended by now returns after it, and its result cannot reach Redis.
      const atFault = runs(file)
      const inFlight = (h: string): number[] =>
        atFault.filter((x) => x.kind === 'start' && x.host === h && !atFault.some((y) => y.kind === 'end' && y.host === h && y.item === x.item)).map((x) => x.item)
      const lost = [...inFlight('h1'), ...inFlight('h2')]
      expect(lost.length).toBeGreaterThan(0)

      // Every result, in order, exactly once.
      await client.waitForLine(/"done":true/, 120_000)
      const expected = Array.from({ length: ITEMS }, (_, i) => i * i)
      expect(results(client)).toEqual(expected)

      // The tasks that were running on the two lost hosts ran again on another host.
      const all = runs(file)
      for (const item of inFlight('h1')) expect(all.some((x) => x.kind === 'end' && x.host !== 'h1' && x.item === item)).toBe(true)
      for (const item of inFlight('h2')) expect(all.some((x) => x.kind === 'end' && x.host !== 'h2' && x.item === item)).toBe(true)
      expect(all.filter((x) => x.kind === 'start').length).toBeGreaterThan(ITEMS)
      expect(await waitFor(() => h1.exit !== undefined, 5000)).toBe(true)

      // The cut-off host comes back: its late result is refused, and no result arrives again.
      net.setLink(2, 'up')
      await h2.waitForLine(/late result was refused|lost its lock|lost the job's lock/, 60_000, cutAt)
      writeFileSync(gate, '')
      const exit = await client.exited
      expect(exit).toEqual({ code: 0, signal: null })
      expect(results(client)).toEqual(expected)
      expect(client.lines.filter((line) => line.includes('"done"'))).toHaveLength(1)
    } finally {
      await redis?.close()
      for (const child of started) child.kill('SIGKILL')
      await Promise.all(started.map((child) => child.exited))
      const pids = started.map((child) => child.pid)
      await net.close()
      expect(namespacesLeft(net.prefix)).toEqual([])
      expect(pids.filter((pid) => pidAlive(pid))).toEqual([])
    }
  })
})
