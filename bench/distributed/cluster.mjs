// The benchmark's processes: a redis-server of its own (a free port, nothing persisted,
// noeviction) and worker hosts (`conc-worker`, or the raw BullMQ host), all children of this
// process, killed by pid when it ends.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const SETPRIV = '/usr/bin/setpriv'
const live = new Set()
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** The bench directory: the application root both kinds of hosts serve. */
export const APP = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
const CONC_WORKER = join(dirname(require.resolve('@conc/distributed/package.json')), 'dist/cli/worker.js')
const RAW_HOST = fileURLToPath(new URL('./raw-host.mjs', import.meta.url))

function start(name, command, args, env = {}) {
  const argv = process.platform === 'linux' && existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', '--', command, ...args] : [command, ...args]
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  live.add(child)
  const lines = []
  let partial = ''
  const onData = (chunk) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop()
    lines.push(...parts)
  }
  child.stdout.setEncoding('utf8').on('data', onData)
  child.stderr.setEncoding('utf8').on('data', onData)
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => (live.delete(child), resolve({ code, signal }))))
  const waitFor = (pattern, ms = 30_000) =>
    new Promise((resolve, reject) => {
      const started = Date.now()
      const poll = setInterval(() => {
        if (lines.some((l) => pattern.test(l))) done(resolve)
        else if (!live.has(child) || Date.now() - started > ms) done(() => reject(new Error(`${name} did not print ${pattern}:\n${lines.join('\n')}`)))
      }, 20)
      const done = (f) => (clearInterval(poll), f())
    })
  const stop = async () => {
    child.kill('SIGKILL')
    await exited
  }
  return { name, child, lines, exited, waitFor, stop }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Starts redis-server; `{ port, url, version, stop() }`. */
export async function startRedis() {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'conc-bench-redis-'))
  const redis = start('redis-server', process.env.CONC_REDIS_SERVER || 'redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--maxmemory-policy', 'noeviction', '--dir', dir, '--protected-mode', 'no',
  ])
  await redis.waitFor(/Ready to accept connections/, 15_000)
  const version = (redis.lines.find((l) => /version=/.test(l)) ?? '').match(/version=([\d.]+)/)?.[1] ?? '?'
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    version,
    async stop() {
      await redis.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Starts a `conc-worker` host serving `queue`. */
export async function startConcHost(redis, queue, concurrency, backend = 'threads', nodeArgs = []) {
  const host = start('conc-worker', process.execPath, [...nodeArgs, CONC_WORKER, '--connection', redis.url, '--app', APP, '--queue', queue, '--concurrency', String(concurrency), '--backend', backend])
  await host.waitFor(/serving queue/)
  return host
}

/** Starts a raw BullMQ host serving `queue` (`inline` or `threads`). */
export async function startRawHost(redis, queue, concurrency, mode = 'inline') {
  const host = start('raw-host', process.execPath, [RAW_HOST, '127.0.0.1', String(redis.port), queue, String(concurrency), mode])
  await host.waitFor(/serving queue/)
  return host
}
