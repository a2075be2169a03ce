/**
 * The demo's distributed part (`--only distributed`): starts a redis-server of its own (a free
 * port on 127.0.0.1, nothing persisted) and two worker hosts (`conc-worker`, serving this demo's
 * built modules), runs the comparison with pools (inline, threads, processes, worker hosts), and
 * stops everything it started. Without redis-server it says how to install it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Pool as DistributedPool } from '@conc/distributed'
import { Pool } from '@conc/multiprocessing'
import { ThreadPool } from '@conc/threading'
import { type PoolClass, type PoolRun, countInline, countWithPool } from './pools.js'

const HOSTS = 2
const SETPRIV = '/usr/bin/setpriv'
/** The application the hosts serve: this demo's built modules (the directory of this file). */
const APP = dirname(fileURLToPath(import.meta.url))
const CONC_WORKER = join(dirname(createRequire(import.meta.url).resolve('@conc/distributed/package.json')), 'dist/cli/worker.js')

const HOW_TO_INSTALL =
  'redis-server is not installed, so the distributed part does not run. Install it and run this again:\n' +
  '  sudo apt-get install redis-server   (Debian/Ubuntu)\n' +
  '  sudo dnf install redis              (Fedora)\n' +
  '  brew install redis                  (macOS)\n' +
  'or set CONC_REDIS_SERVER to the redis-server binary. The demo starts its own server and stops it.'

function redisServer(): string | undefined {
  const binary = process.env.CONC_REDIS_SERVER || 'redis-server'
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' })
  return probe.status === 0 && /Redis server v=/.test(probe.stdout) ? binary : undefined
}

/** A child that dies with this process (the kernel's parent-death signal, where setpriv exists). */
function start(command: string, args: readonly string[]): { child: ChildProcess; output: () => string; ready: (pattern: RegExp) => Promise<void> } {
  const argv = process.platform === 'linux' && existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', '--', command, ...args] : [command, ...args]
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
  const ready = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        if (pattern.test(text)) done(resolve)
        else if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`${command} ended before it was ready:\n${text}`)))
      }, 20)
      const timer = setTimeout(() => done(() => reject(new Error(`${command} was not ready within 30 s:\n${text}`))), 30_000)
      const done = (then: () => void): void => {
        clearInterval(poll)
        clearTimeout(timer)
        then()
      }
    })
  return { child, output: () => text, ready }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))))
    })
  })
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

function table(rows: readonly (PoolRun & { mode: string; units: string })[]): string {
  const base = rows[0]?.ms ?? 1
  const lines = [['mode', 'units', 'wall time', 'speedup']]
  for (const { mode, units, ms } of rows) lines.push([mode, units, `${(ms / 1000).toFixed(2)} s`, `${(base / ms).toFixed(2)}x`])
  const widths = lines[0]!.map((_, col) => Math.max(...lines.map((line) => line[col]!.length)))
  return lines.map((line) => line.map((cell, col) => cell.padEnd(widths[col]!)).join('   ').trimEnd()).join('\n')
}

/** Runs the distributed part. */
export async function runDistributed(limit: number): Promise<void> {
  console.log('\n=== The same comparison with pools, and on worker hosts (@conc/distributed)')
  const redis = redisServer()
  if (redis === undefined) {
    console.log(HOW_TO_INSTALL)
    return
  }
  const n = availableParallelism()
  const perHost = Math.max(1, Math.ceil(n / HOSTS))
  const dir = mkdtempSync(join(tmpdir(), 'conc-demo-redis-'))
  const started: ChildProcess[] = []
  try {
    const port = await freePort()
    const server = start(redis, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--dir', dir])
    started.push(server.child)
    await server.ready(/Ready to accept connections/)
    const connection = `redis://127.0.0.1:${port}`
    const queue = `demo-${process.pid}`
    const hosts = Array.from({ length: HOSTS }, () =>
      start(process.execPath, [CONC_WORKER, '--connection', connection, '--app', APP, '--queue', queue, '--concurrency', String(perHost), '--backend', 'processes']),
    )
    started.push(...hosts.map((host) => host.child))
    await Promise.all(hosts.map((host) => host.ready(/serving queue/)))
    console.log(`redis-server on ${connection}; ${HOSTS} worker hosts (conc-worker --concurrency ${perHost} --app ${APP})`)
    console.log(`countPrimes below ${limit.toLocaleString('en')} in ${n} slices, one starmap per pool; only the import changes:`)

    const rows = [{ mode: 'inline (one after another)', units: '1', ...countInline(limit, n) }]
    const pools: [string, PoolClass, Record<string, unknown>, string][] = [
      ["ThreadPool from '@conc/threading'", ThreadPool as unknown as PoolClass, {}, String(n)],
      ["Pool from '@conc/multiprocessing'", Pool as unknown as PoolClass, {}, String(n)],
      ["Pool from '@conc/distributed'", DistributedPool as unknown as PoolClass, { connection, queue, app: APP }, `${HOSTS}x${perHost}`],
    ]
    for (const [mode, Class, options, units] of pools) rows.push({ mode, units, ...(await countWithPool(Class, limit, n, options)) })
    const counts = new Set(rows.map((row) => row.primes))
    if (counts.size !== 1) throw new Error(`the pools disagree: ${rows.map((row) => `${row.mode}: ${row.primes}`).join(', ')}`)
    console.log(`${rows[0]!.primes.toLocaleString('en')} primes found by every pool\n`)
    console.log(table(rows))
    console.log(
      '\nThe worker hosts run on this machine here (and share its CPUs); started on other machines with\n' +
        'the same build, `npx conc-worker --connection redis://... --app ./dist` spreads the same starmap\n' +
        'over all of them. Connecting to Redis and the trips through it are what that row pays extra.',
    )
  } finally {
    for (const child of started.slice(1)) await stop(child, 'SIGTERM')
    if (started[0] !== undefined) await stop(started[0], 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}
