/**
 * Separate "machines" on one Linux box: network namespaces joined by veth links, for the
 * multi-host test. One namespace holds Redis and the client; each worker host gets its own,
 * linked to the first by a veth pair with its own /24 (10.233.i.0/24). Nothing touches the
 * root namespace: the links are created inside the namespaces, and all traffic stays between
 * them. Needs root and `ip` (iproute2). `close()` kills by pid whatever still runs inside the
 * namespaces (all started by the test) and deletes them; an exit hook does the same if the test
 * process ends first.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => spawnSync(p, ['-V']).status === 0)
const live = new Set<Topology>()

process.on('exit', () => {
  for (const topology of live) topology.closeSync()
})

function ip(...args: string[]): string {
  if (IP === undefined) throw new Error('ip (iproute2) is not installed')
  return execFileSync(IP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/**
 * Why namespaces cannot be used here (not Linux, not root, no `ip`, or `ip netns add` refused),
 * or undefined when they can: it creates and deletes a probe namespace.
 */
export function netnsProblem(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'network namespaces need root (this test runs as a non-root user)'
  if (IP === undefined) return 'ip (iproute2) is not installed'
  const probe = `conc-probe-${randomBytes(3).toString('hex')}`
  try {
    ip('netns', 'add', probe)
  } catch (error) {
    return `\`ip netns add\` failed: ${((error as { stderr?: string }).stderr ?? String(error)).trim()}`
  }
  try {
    ip('netns', 'del', probe)
  } catch {
    // it was created: deleting it is best effort
  }
  return undefined
}

/** The names of the namespaces this process created and has not deleted (for the leak check). */
export function namespacesLeft(prefix: string): string[] {
  return ip('netns', 'list')
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix))
}

/** A star of namespaces: `core` (Redis, client) linked to `hosts[i]` by its own veth pair. */
export class Topology {
  readonly core: string
  readonly hosts: string[]
  #closed = false

  private constructor(readonly prefix: string, hosts: number) {
    this.core = `${prefix}-core`
    this.hosts = Array.from({ length: hosts }, (_, i) => `${prefix}-h${i + 1}`)
  }

  /** Creates the namespaces and links; `prefix` names them all (default: a fresh `conc-<hex>`). */
  static create(hosts: number, prefix = `conc-${randomBytes(3).toString('hex')}`): Topology {
    const topology = new Topology(prefix, hosts)
    live.add(topology)
    try {
      ip('netns', 'add', topology.core)
      ip('-n', topology.core, 'link', 'set', 'lo', 'up')
      topology.hosts.forEach((ns, index) => {
        const i = index + 1
        ip('netns', 'add', ns)
        ip('-n', ns, 'link', 'set', 'lo', 'up')
        // Created inside the core namespace, its peer moved straight into the host's.
        ip('-n', topology.core, 'link', 'add', `to-h${i}`, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', ns)
        ip('-n', topology.core, 'addr', 'add', `10.233.${i}.1/24`, 'dev', `to-h${i}`)
        ip('-n', topology.core, 'link', 'set', `to-h${i}`, 'up')
        ip('-n', ns, 'addr', 'add', `10.233.${i}.2/24`, 'dev', 'uplink')
        ip('-n', ns, 'link', 'set', 'uplink', 'up')
      })
    } catch (error) {
      topology.closeSync()
      throw error
    }
    return topology
  }

  /** The command prefix that runs a program inside namespace `ns`. */
  exec(ns: string): string[] {
    return [IP as string, 'netns', 'exec', ns]
  }

  /** The address of the core namespace as seen from host `i` (1-based). */
  coreAddressFor(i: number): string {
    return `10.233.${i}.1`
  }

  /** Takes host `i`'s link down (a network partition) or up again. */
  setLink(i: number, state: 'up' | 'down'): void {
    ip('-n', this.hosts[i - 1] as string, 'link', 'set', 'uplink', state)
  }

  /** Pids of the processes still inside the namespaces. */
  pids(): number[] {
    const out: number[] = []
    for (const ns of [this.core, ...this.hosts]) {
      try {
        out.push(...ip('netns', 'pids', ns).split('\n').filter(Boolean).map(Number))
      } catch {
        // not there (any more)
      }
    }
    return out
  }

  /**
   * Kills (SIGKILL, by pid) what still runs inside the namespaces, waits for it to end, then
   * deletes the namespaces (which destroys the veth links). `ip netns del` alone would not end
   * those processes.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    const deadline = Date.now() + 10_000
    for (;;) {
      const pids = this.pids()
      if (pids.length === 0 || Date.now() > deadline) break
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    this.closeSync()
  }

  /** Synchronous `close()` for the exit hook: kill by pid once, then delete the namespaces. */
  closeSync(): void {
    if (this.#closed) return
    this.#closed = true
    live.delete(this)
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    for (const ns of [...this.hosts, this.core]) {
      try {
        ip('netns', 'del', ns)
      } catch {
        // never created, or already deleted
      }
    }
  }
}
