/** The fixture task functions, each tagged with its module (`fromModule`), and temp files for them. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromModule } from '../../dist/index.js'

export const TASKS_URL = new URL('../fixtures/tasks.mjs', import.meta.url).href

type Fn = (...args: never[]) => unknown
export type Tasks = typeof import('../fixtures/tasks.mjs')

/** The exports of `test/fixtures/tasks.mjs`, ready to submit. */
export async function loadTasks(): Promise<Tasks> {
  const mod = (await import(TASKS_URL)) as Record<string, unknown>
  const out: Record<string, Fn> = {}
  for (const [name, value] of Object.entries(mod)) if (typeof value === 'function') out[name] = fromModule(value as Fn, TASKS_URL, name)
  return out as unknown as Tasks
}

/** A temporary directory, removed by `cleanup()`. */
export function scratch(): { readonly dir: string; file(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'conc-dist-'))
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Polls `predicate` every 20 ms until it holds; false after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (predicate()) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return predicate()
}

/** Whether process `pid` is alive (a zombie counts as ended). */
export { pidAlive } from '@conc/testkit'
