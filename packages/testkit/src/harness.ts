/** Helpers the contract suite and the backend tests share: fixtures, subprocesses, temp files. */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url))
export const fixture = (name: string): string => join(fixturesDir, name)
export const fixtureUrl = (name: string): string => new URL(`../fixtures/${name}`, import.meta.url).href

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

/** How long a plain program may run before `runNode` kills it. */
export const PROGRAM_TIMEOUT_MS = 20_000
/**
 * How long a program under tsx may run: tsx compiles in every unit it starts (each worker thread
 * registers it, each child process loads it again), which on a loaded 2-core machine costs a few
 * hundred ms per unit.
 */
export const TSX_PROGRAM_TIMEOUT_MS = 60_000
/** Room a test needs beyond its program's timeout, for its own setup and assertions. */
const TEST_MARGIN_MS = 10_000

/** Whether `args` run a program under tsx (`--import tsx`, tsx's CLI, a TypeScript entry). */
function underTsx(args: readonly string[]): boolean {
  return args.some((arg) => arg === 'tsx' || arg.startsWith('tsx/') || /[\\/]tsx[\\/]|\.[cm]?ts$/.test(arg))
}

/** The timeout `runNode` uses for `args` when none is given. */
export function programTimeoutMs(args: readonly string[]): number {
  return underTsx(args) ? TSX_PROGRAM_TIMEOUT_MS : PROGRAM_TIMEOUT_MS
}

/** A vitest timeout for a test that runs `args` with `runNode`: longer than the program's own. */
export function testTimeoutFor(args: readonly string[], timeoutMs = programTimeoutMs(args)): number {
  return timeoutMs + TEST_MARGIN_MS
}

/**
 * Runs `node <args>` with the backend under test, collecting its output; kills it after
 * `timeoutMs` (default {@link programTimeoutMs}: longer under tsx). A program killed for taking
 * too long says so on its stderr, so that a hang fails the test with that reason.
 */
export function runNode(
  args: readonly string[],
  options: { readonly backendUrl: string; readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const started = performance.now()
  const timeoutMs = options.timeoutMs ?? programTimeoutMs(args)
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...args],
      {
        env: { ...process.env, ...options.env, CONC_BACKEND: options.backendUrl, NODE_OPTIONS: '' },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: unknown; signal?: NodeJS.Signals | null; killed?: boolean }) | null
        const ms = performance.now() - started
        const hung = failure?.killed === true && failure.signal === 'SIGKILL' && ms >= timeoutMs
        resolve({
          code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null,
          signal: failure?.signal ?? null,
          stdout,
          stderr: hung ? `${stderr}[runNode: killed after ${timeoutMs} ms: ${args.join(' ')}]\n` : stderr,
          ms,
        })
      },
    )
  })
}

/** A temporary directory for result files, removed by the returned `cleanup`. */
export function tempDir(): { readonly dir: string; readonly file: (name: string) => string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'conc-test-'))
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'))
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  // A zombie still answers kill(pid, 0); it has ended all the same.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return existsSync(`/proc/${pid}`)
  }
}

/**
 * Sets environment variable `name` to `value` (undefined: unsets it) for what a pool reads when it
 * is made, or its workers when they start (`CONC_OFFERS`, `CONC_IDLE_SPIN_US`); returns what puts
 * the old value back.
 */
export function setEnv(name: string, value: string | undefined): () => void {
  const before = process.env[name]
  const put = (v: string | undefined): void => {
    if (v === undefined) delete process.env[name]
    else process.env[name] = v
  }
  put(value)
  return () => put(before)
}

/** `make()` with environment variable `name` set to `value` (undefined: unset), then as before. */
export function withEnv<T>(name: string, value: string | undefined, make: () => T): T {
  const restore = setEnv(name, value)
  try {
    return make()
  } finally {
    restore()
  }
}

/** Polls `predicate` every 20 ms until it holds or `timeoutMs` passes. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (predicate()) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return predicate()
}

/** A warning `process.emitWarning` was given while {@link captureWarnings} ran. */
export interface CapturedWarning {
  readonly message: string
  readonly code: string | undefined
}

/**
 * Runs `body` with `process.emitWarning` captured instead of printed (an intentional warning in
 * the test output looks like a failure), and gives the warnings to `body` to check.
 */
export async function captureWarnings<T>(body: (warnings: readonly CapturedWarning[]) => Promise<T>): Promise<T> {
  const warnings: CapturedWarning[] = []
  const emitWarning = process.emitWarning
  process.emitWarning = ((warning: string | Error, options?: string | { code?: string }) => {
    const code = typeof options === 'object' ? options?.code : warning instanceof Error ? (warning as Error & { code?: string }).code : undefined
    warnings.push({ message: warning instanceof Error ? warning.message : String(warning), code })
  }) as typeof process.emitWarning
  try {
    return await body(warnings)
  } finally {
    process.emitWarning = emitWarning
  }
}

type AnyTarget = (...args: unknown[]) => unknown

/**
 * Loads the fixture targets for the backend at `backendUrl` (units inherit CONC_BACKEND), and
 * returns a lookup that gives each one as an explicit reference (`fromModule`).
 */
export async function loadTargets(
  backendUrl: string,
  fromModule: <F extends AnyTarget>(fn: F, module: string, exportName: string) => F,
): Promise<(name: string) => AnyTarget> {
  process.env.CONC_BACKEND = backendUrl
  const url = new URL('../fixtures/targets.mjs', import.meta.url).href
  const targets = (await import(url)) as Record<string, AnyTarget | undefined>
  return (name) => {
    const fn = targets[name]
    if (fn === undefined) throw new Error(`no fixture target ${name}`)
    return fromModule(fn, url, name)
  }
}
