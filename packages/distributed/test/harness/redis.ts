/**
 * A redis-server of the test's own: a child process on a free TCP port (or a given address), no
 * persistence, `noeviction`, stopped by the test. It can be stopped and started again on the
 * same port (a Redis restart, which loses everything: nothing is persisted).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Child, startChild } from './processes.js'

/** The redis-server binary: `CONC_REDIS_SERVER`, else from PATH (the suite's setup checked it is there). */
export const REDIS_SERVER = process.env.CONC_REDIS_SERVER || 'redis-server'

export interface RedisServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  readonly bind?: string
  /** Port (default: a free one). */
  readonly port?: number
  /** Run it through this command first (e.g. `['ip', 'netns', 'exec', 'ns']`). */
  readonly wrap?: readonly string[]
}

/** A free TCP port on `host` (the kernel's choice; released before use, so retried on a clash). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

export class RedisServer {
  #child: Child | undefined
  readonly #dir = mkdtempSync(join(tmpdir(), 'conc-redis-'))

  private constructor(
    readonly bind: string,
    public port: number,
    readonly wrap: readonly string[],
  ) {}

  /** Starts a server; tries other ports if the chosen one was taken meanwhile. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const bind = options.bind ?? '127.0.0.1'
    for (let attempt = 0; ; attempt++) {
      const server = new RedisServer(bind, options.port ?? (await freePort(bind)), options.wrap ?? [])
      try {
        await server.#launch()
        return server
      } catch (error) {
        server.#cleanup()
        if (options.port !== undefined || attempt >= 4) throw error
      }
    }
  }

  /** `redis://host:port`. */
  get url(): string {
    return `redis://${this.bind}:${this.port}`
  }

  get pid(): number | undefined {
    return this.#child?.exit === undefined ? this.#child?.pid : undefined
  }

  async #launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', this.bind, '--save', '', '--appendonly', 'no']
    args.push('--maxmemory-policy', 'noeviction', '--dir', this.#dir, '--protected-mode', 'no', '--loglevel', 'notice')
    const child = startChild(`redis-server :${this.port}`, REDIS_SERVER, args, { wrap: this.wrap })
    this.#child = child
    try {
      await child.waitForLine(/Ready to accept connections/, 15_000)
    } catch (error) {
      child.kill('SIGKILL')
      await child.exited
      throw error
    }
  }

  /** Stops it (SIGKILL: Redis is gone at once, as when its machine dies). */
  async stop(): Promise<void> {
    const child = this.#child
    if (child === undefined) return
    child.kill('SIGKILL')
    await child.exited
  }

  /** Starts it again on the same port, empty. */
  async restart(): Promise<void> {
    await this.stop()
    await this.#launch()
  }

  /** Stops it and removes its directory. */
  async close(): Promise<void> {
    await this.stop()
    this.#cleanup()
  }

  #cleanup(): void {
    rmSync(this.#dir, { recursive: true, force: true })
  }
}
