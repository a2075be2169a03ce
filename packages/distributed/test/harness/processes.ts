/**
 * Child processes of the distributed tests (redis-server, conc-worker hosts): started so that they
 * die with the test process (the kernel's parent-death signal where `setpriv` exists), tracked,
 * and killed by pid when a test file ends or the test process exits. Output is collected line by
 * line so tests can wait for what a host prints.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

const SETPRIV = '/usr/bin/setpriv'
const live = new Set<Child>()

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export interface ExitInfo {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A started process and what it printed. */
export class Child {
  readonly lines: string[] = []
  readonly exited: Promise<ExitInfo>
  #exit: ExitInfo | undefined
  readonly #waiters = new Set<() => void>()

  constructor(readonly process: ChildProcess, readonly name: string) {
    live.add(this)
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        this.#exit = { code, signal }
        live.delete(this)
        this.#wake()
        resolve({ code, signal })
      })
    })
    for (const stream of [process.stdout, process.stderr]) {
      let partial = ''
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n')
        partial = parts.pop() ?? ''
        this.lines.push(...parts)
        if (parts.length > 0) this.#wake()
      })
    }
  }

  get pid(): number {
    return this.process.pid as number
  }

  /** How it ended, once it has. */
  get exit(): ExitInfo | undefined {
    return this.#exit
  }

  output(): string {
    return this.lines.join('\n')
  }

  /** Resolves with the first line matching `pattern` (after `from`), or rejects after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs = 15_000, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = this.lines.slice(from).find((l) => pattern.test(l))
        if (line !== undefined) {
          done()
          resolve(line)
          return true
        }
        if (this.#exit !== undefined) {
          done()
          reject(new Error(`${this.name} exited (${JSON.stringify(this.#exit)}) before printing ${pattern}:\n${this.output()}`))
          return true
        }
        return false
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.output()}`))
      }, timeoutMs)
      const done = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(wake)
      }
      const wake = (): void => void check()
      if (!check()) this.#waiters.add(wake)
    })
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#exit !== undefined) return
    try {
      process.kill(this.pid, signal)
    } catch {
      // already gone
    }
  }

  /** Sends `signal`, then SIGKILL after `timeoutMs`; resolves with how it ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ExitInfo> {
    if (this.#exit !== undefined) return this.#exit
    this.kill('SIGCONT')
    this.kill(signal)
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake()
  }
}

/**
 * Starts `command args` as a tracked child. `wrap` runs it through another command first (for
 * example `['ip', 'netns', 'exec', 'ns1']`), with the parent-death guard outermost.
 */
export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv | undefined; readonly wrap?: readonly string[] | undefined; readonly cwd?: string | undefined } = {},
): Child {
  const argv = [...(options.wrap ?? []), command, ...args]
  const guarded = process.platform === 'linux' && existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv] : argv
  const child = spawn(guarded[0] as string, guarded.slice(1), {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.on('error', () => undefined)
  return new Child(child, name)
}

/** Kills every child still running (SIGKILL) and waits for their exits. */
export async function killAll(): Promise<void> {
  const children = [...live]
  for (const child of children) child.kill('SIGKILL')
  await Promise.all(children.map((child) => child.exited))
}
