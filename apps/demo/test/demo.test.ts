import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { bar, notes, table, wrap } from '../src/report.js'

const demoDir = fileURLToPath(new URL('..', import.meta.url))

const COURSE = [
  'Fazendo algo com o Pássaro',
  'Fazendo algo com o "1" do tipo number.',
  'Fazendo algo com o "1.5" do tipo number.',
  'Fazendo algo com o "Edson" do tipo string.',
]

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** The processes of the command's process group still running after it exited. */
  readonly left: readonly string[]
}

const groups = new Set<number>()

/**
 * The live members of process group `pgid`. On Linux, zombies are left out: a helper that the
 * tools spawn (tsx's esbuild) may end after its parent and wait a moment to be reaped by init.
 */
function liveMembers(pgid: number): string[] {
  if (process.platform !== 'linux') {
    try {
      process.kill(-pgid, 0)
      return [`process group ${pgid}`]
    } catch {
      return []
    }
  }
  const live: string[] = []
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(pgrp) !== pgid || state === 'Z') continue
      live.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`)
    } catch {
      // it ended while we looked
    }
  }
  return live
}

/** Waits up to `ms` for the group to empty; returns who is still there. */
async function leftAfter(pgid: number, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const live = liveMembers(pgid)
    if (live.length === 0 || Date.now() > deadline) return live
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Runs a command in its own process group, so that every unit it starts can be found and ended. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: demoDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    child.on('error', reject)
    const pgid = child.pid
    if (pgid === undefined) return
    groups.add(pgid)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    // A unit left running would hold the pipes open and 'close' would never come: look from 'exit'.
    const closed = new Promise<void>((done) => child.on('close', () => done()))
    child.on('exit', (code) => {
      void leftAfter(pgid, 2000).then(async (left) => {
        if (left.length === 0) await closed
        resolve({ code, stdout, stderr, left })
      })
    })
  })
}

afterEach(() => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  groups.clear()
})

/** The course lines and section headings, in the order they were printed. */
function courseTranscript(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('Fazendo') || line.startsWith('=== '))
    .map((line) => (line.startsWith('=== ') ? line.split(/\s+/)[1]! : line))
}

describe('the demo', () => {
  it('prints the course for Thread, then for Process, then the comparison table', async () => {
    const { code, stdout, stderr, left } = await run(process.execPath, ['dist/main.js', '--limit', '300000'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(courseTranscript(stdout)).toEqual([
      'threading.Thread',
      ...COURSE,
      'multiprocessing.Process',
      ...COURSE,
      'The',
      'Producer/consumer:',
      'Shared',
    ])
    expect(stdout).toContain('25,997 primes found')
    expect(stdout).toMatch(/^mode +units +wall time +speedup +speedup, to scale \(full width: \d+\.\d\dx\)$/m)
    // Each row ends with its bar; inline's is the reference (1x).
    expect(stdout).toMatch(/^inline \(one after another\) +1 +\d+\.\d\d s +1\.00x +█+[▏▎▍▌▋▊▉]?$/m)
    expect(stdout).toMatch(/^threads \(@conc\/threading\) +\d+ +\d+\.\d\d s +\d+\.\d\dx +█*[▏▎▍▌▋▊▉]?$/m)
    expect(stdout).toMatch(/^processes \(@conc\/multiprocessing\) +\d+ +\d+\.\d\d s +\d+\.\d\dx +█*[▏▎▍▌▋▊▉]?$/m)
    // A parallel mode slower than inline gets the explanation, and only then.
    const speedups = [...stdout.matchAll(/^(?:threads|processes) .* (\d+\.\d\d)x /gm)].map((m) => Number(m[1]))
    expect(speedups).toHaveLength(2)
    expect(stdout.includes('came out slower than inline')).toBe(speedups.some((x) => x < 1))
    expect(left).toEqual([])
  })

  it('runs only the comparison with --only compare', async () => {
    const { code, stdout, left } = await run(process.execPath, ['dist/main.js', '--only', 'compare', '--limit', '20000'])
    expect(code).toBe(0)
    expect(stdout).not.toContain('Fazendo')
    expect(stdout).toContain('2,262 primes found')
    expect(left).toEqual([])
  })

  it('runs the same producer/consumer program with threads and with processes (--only queue)', async () => {
    const { code, stdout, stderr, left } = await run(process.execPath, ['dist/main.js', '--only', 'queue'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain("--- import * as backend from '@conc/threading'")
    expect(stdout).toContain("--- import * as backend from '@conc/multiprocessing'")
    expect(stdout.match(/^60 of 60 items consumed, each exactly once, in order per producer$/gm)).toHaveLength(2)
    // Consumers that work on each item share them: on each backend, both consumers took some.
    const took = [...stdout.matchAll(/^ {2}(consumer-\d) took (\d+) items$/gm)].map((m) => [m[1], Number(m[2])])
    expect(took.map(([name]) => name)).toEqual(['consumer-1', 'consumer-2', 'consumer-1', 'consumer-2'])
    for (const [, count] of took) expect(count).toBeGreaterThan(0)
    expect(stdout).toContain('not fair between consumers')
    expect(stdout).not.toContain('Fazendo')
    expect(left).toEqual([])
  })

  // Needs redis-server, as the @conc/distributed suite does (CONC_SKIP_DISTRIBUTED=1 skips both).
  it.skipIf(process.env.CONC_SKIP_DISTRIBUTED === '1')(
    'runs the comparison with pools, the distributed one on two worker hosts and a Redis it starts and stops (--only distributed)',
    async () => {
      const { code, stdout, stderr, left } = await run(process.execPath, ['dist/main.js', '--only', 'distributed', '--limit', '100000'])
      expect(stderr).toBe('')
      expect(code).toBe(0)
      expect(stdout).toMatch(/^redis-server on redis:\/\/127\.0\.0\.1:\d+; 2 worker hosts \(conc-worker --concurrency \d+ /m)
      expect(stdout).toContain('9,592 primes found by every pool')
      expect(stdout).toMatch(/^inline \(one after another\) +1 +\d+\.\d\d s +1\.00x$/m)
      expect(stdout).toMatch(/^ThreadPool from '@conc\/threading' +\d+ +\d+\.\d\d s +\d+\.\d\dx$/m)
      expect(stdout).toMatch(/^Pool from '@conc\/multiprocessing' +\d+ +\d+\.\d\d s +\d+\.\d\dx$/m)
      expect(stdout).toMatch(/^Pool from '@conc\/distributed' +2x\d+ +\d+\.\d\d s +\d+\.\d\dx$/m)
      expect(stdout).not.toContain('Fazendo')
      // The redis-server and both worker hosts (and their local workers) are gone.
      expect(left).toEqual([])
    },
    120_000,
  )

  it('without redis-server, the distributed part says how to install it and the demo ends normally', async () => {
    const { code, stdout, stderr, left } = await run(process.execPath, ['dist/main.js', '--only', 'distributed'], { CONC_REDIS_SERVER: '/nonexistent/redis-server' })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('redis-server is not installed, so the distributed part does not run')
    expect(stdout).toContain('sudo apt-get install redis-server')
    expect(stdout).not.toContain('primes found')
    expect(left).toEqual([])
  })

  it('runs the shared counter with threads and with processes: a plain object stays as it was, a Manager dict counts every increment (--only manager)', async () => {
    const { code, stdout, stderr, left } = await run(process.execPath, ['dist/main.js', '--only', 'manager'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain("--- import * as backend from '@conc/threading'")
    expect(stdout).toContain("--- import * as backend from '@conc/multiprocessing'")
    expect(stdout.match(/^ {2}a plain object in args: {2}total = 0 {2}\(each unit changed its own copy\)$/gm)).toHaveLength(2)
    expect(
      stdout.match(/^ {2}manager\.dict\(\) \+ manager\.Lock\(\): {2}total = 100 of 100 {2}\(unidade-1=25, unidade-2=25, unidade-3=25, unidade-4=25\)$/gm),
    ).toHaveLength(2)
    expect(stdout).not.toContain('Fazendo')
    expect(left).toEqual([])
  })

  it('rejects an unknown part', async () => {
    const { code, stdout } = await run(process.execPath, ['dist/main.js', '--only', 'nothing'])
    expect(code).toBe(2)
    expect(stdout).toContain('usage:')
  })

  it('runs from its TypeScript sources under tsx, with both backends', async () => {
    const { code, stdout, stderr, left } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', '--only', 'course'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(courseTranscript(stdout)).toEqual(['threading.Thread', ...COURSE, 'multiprocessing.Process', ...COURSE])
    expect(stdout).not.toContain('primes found')
    expect(left).toEqual([])
  })
})

describe("the comparison's table", () => {
  const rows = (threadsMs: number, processesMs: number) => [
    { mode: 'inline (one after another)', units: 1, ms: 1000 },
    { mode: 'threads (@conc/threading)', units: 2, ms: threadsMs },
    { mode: 'processes (@conc/multiprocessing)', units: 2, ms: processesMs },
  ]

  it('draws each speedup to scale, the full width being the number of CPUs', () => {
    expect(bar(2, 2)).toBe('█'.repeat(30))
    expect(bar(1, 2)).toBe('█'.repeat(15))
    expect(bar(0.5, 2)).toBe('███████▌')
    expect(bar(0, 2)).toBe('')
    const lines = table(rows(500, 1000), 2).split('\n')
    expect(lines[0]).toMatch(/speedup, to scale \(full width: 2\.00x\)$/)
    expect(lines[1]).toMatch(/ 1\.00x +█{15}$/)
    expect(lines[2]).toMatch(/ 2\.00x +█{30}$/)
    expect(lines[3]).toMatch(/ 1\.00x +█{15}$/)
  })

  it('explains a speedup below 1x, naming the slower modes and the load', () => {
    const text = notes(rows(1400, 800), { cpus: 2, load: 3.5 }).join(' ')
    expect(text).toContain('Here threads came out slower than inline (speedup below 1x)')
    expect(text).toContain('the load average was 3.50 for 2 CPUs')
    expect(notes(rows(1400, 1200), { cpus: 2, load: 3.5 }).join(' ')).toContain('Here threads and processes came out slower')
  })

  it('says nothing of the kind when both are faster than inline', () => {
    const text = notes(rows(600, 700), { cpus: 2, load: 0.2 }).join(' ')
    expect(text).toContain('can run the 2 slices at the same time')
    expect(text).not.toContain('slower than inline')
  })

  it('wraps the notes at 100 columns', () => {
    for (const line of notes(rows(1400, 1200), { cpus: 2, load: 3.5 })) expect(line.length).toBeLessThanOrEqual(100)
    expect(wrap('a b c', 3)).toEqual(['a b', 'c'])
  })
})
