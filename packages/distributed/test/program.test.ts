/**
 * The migration is the import: the same program prints the same with `@conc/multiprocessing` and
 * with `@conc/distributed` (Redis from `CONC_REDIS_URL`, the application from `CONC_APP`), and
 * ends by itself even without `shutdown()`, as a local pool's program does. And `conc-worker`'s
 * command line.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runNode } from '@conc/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster, LOCAL_BACKEND, TEST_APP, WORKER_BIN, startChild } from './harness/index.js'
import { skipped } from './setup/skip.js'

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
let c: Cluster

describe.skipIf(skipped)('programs and conc-worker', () => {
  beforeAll(async () => {
    c = await Cluster.start({ hosts: 0 })
    await c.addHost({ queue: 'conc-default', concurrency: 2 })
  })
  afterAll(async () => {
    await c?.close()
  })

  it('changing the import is the whole migration: same output, and the program ends by itself', async () => {
    const local = readFileSync(fixture('migrate-local.mjs'), 'utf8').split('\n')
    const remote = readFileSync(fixture('migrate-distributed.mjs'), 'utf8').split('\n')
    expect(local.filter((line, i) => line !== remote[i])).toEqual(["import { Pool, ProcessPoolExecutor, isMain } from '@conc/multiprocessing'"])
    const env = { CONC_REDIS_URL: c.connection, CONC_APP: TEST_APP }
    const [a, b] = await Promise.all([
      runNode([fixture('migrate-local.mjs')], { backendUrl: LOCAL_BACKEND, timeoutMs: 60_000 }),
      runNode([fixture('migrate-distributed.mjs')], { backendUrl: LOCAL_BACKEND, timeoutMs: 60_000, env }),
    ])
    expect(a.stderr).toBe('')
    expect(a.code).toBe(0)
    expect(b.stderr).toBe('')
    expect(b.code).toBe(0)
    expect(b.stdout).toBe(a.stdout)
    expect(b.stdout).toBe('[ 1, 4, 9, 16 ]\n[ 25, 36, 49 ]\n144\n')
  })

  it('conc-worker --help prints the usage; a bad flag exits 2 saying what is wrong', async () => {
    const help = await runNode([WORKER_BIN, '--help'], { backendUrl: LOCAL_BACKEND })
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^usage: conc-worker \[options\]/)
    expect(help.stdout).toMatch(/--max-tasks-per-child K/)
    const bad = await runNode([WORKER_BIN, '--backend', 'fibers'], { backendUrl: LOCAL_BACKEND })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^conc-worker: --backend must be processes or threads, got 'fibers'/)
    const unknown = await runNode([WORKER_BIN, '--concurency', '2'], { backendUrl: LOCAL_BACKEND })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown option '--concurency'/)
  })

  it('conc-worker prints what it serves, and on SIGTERM with nothing running stops at once with code 0', async () => {
    const host = startChild('conc-worker', process.execPath, [WORKER_BIN, '--connection', c.connection, '--app', TEST_APP, '--concurrency', '1', '--backend', 'threads', '--queue', 'other'], {
      env: { CONC_BACKEND: LOCAL_BACKEND },
    })
    const line = await host.waitForLine(/serving queue/)
    expect(line).toMatch(new RegExp(`^conc-worker: serving queue 'other' at redis://127\\.0\\.0\\.1:${c.redis.port}/? for ${TEST_APP.replace(/\/$/, '')}: 1 threads; lock 5 s, lost hosts checked every 2 s`))
    const started = performance.now()
    expect(await host.stop('SIGTERM', 15_000)).toEqual({ code: 0, signal: null })
    expect((performance.now() - started) / 1000).toBeLessThan(8)
    expect(host.output()).toMatch(/conc-worker: stopped/)
  })
})
