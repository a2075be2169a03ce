/**
 * Vitest global setup of the distributed suite: it needs `redis-server` (the tests start their
 * own). When it is missing, it is installed with apt-get where that is possible (root on
 * Debian/Ubuntu); otherwise the run stops with a message saying how to install it. Only
 * `CONC_SKIP_DISTRIBUTED=1` skips the suite, and says so loudly.
 */
import { execFileSync, spawnSync } from 'node:child_process'

const SKIP = 'CONC_SKIP_DISTRIBUTED'

function redisServer(): string | undefined {
  const configured = process.env.CONC_REDIS_SERVER
  const candidates = configured ? [configured] : ['redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server']
  for (const candidate of candidates) {
    const r = spawnSync(candidate, ['--version'], { encoding: 'utf8' })
    if (r.status === 0 && /Redis server v=/.test(r.stdout)) return candidate
  }
  return undefined
}

function banner(lines: readonly string[]): void {
  const width = Math.max(...lines.map((line) => line.length)) + 4
  const rule = '!'.repeat(width)
  process.stderr.write(`\n${rule}\n${lines.map((line) => `! ${line.padEnd(width - 4)} !`).join('\n')}\n${rule}\n\n`)
}

function tryInstall(): boolean {
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  const aptGet = spawnSync('apt-get', ['--version'], { encoding: 'utf8' }).status === 0
  if (!root || !aptGet) return false
  process.stderr.write('distributed tests: redis-server is missing; installing it with apt-get (Debian/Ubuntu)...\n')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 300_000 })
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 300_000 })
  } catch (error) {
    process.stderr.write(`distributed tests: apt-get could not install redis-server: ${(error as Error).message}\n`)
    return false
  }
  return true
}

export function setup(): void {
  if (process.env[SKIP] === '1') {
    process.env.CONC_DISTRIBUTED_SKIPPED = '1'
    banner([
      'SKIPPED: the @conc/distributed suite does not run (CONC_SKIP_DISTRIBUTED=1).',
      'Its semantics (worker hosts, Redis failures, cancellation) are NOT tested in this run.',
    ])
    return
  }
  let found = redisServer()
  if (found === undefined && tryInstall()) found = redisServer()
  if (found === undefined) {
    throw new Error(
      'The @conc/distributed tests need redis-server (they start their own, on a free port), and it is not installed. ' +
        'Install it: `sudo apt-get install redis-server` (Debian/Ubuntu), `sudo dnf install redis` (Fedora), ' +
        '`brew install redis` (macOS); or point CONC_REDIS_SERVER at the binary. ' +
        'To run the other tests without these, set CONC_SKIP_DISTRIBUTED=1.',
    )
  }
  process.env.CONC_REDIS_SERVER = found
}
