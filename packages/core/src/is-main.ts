/**
 * `isMain(import.meta)`: Python's `if __name__ == "__main__":` for ES modules.
 *
 * @module
 */
import { realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isMainThread } from 'node:worker_threads'
import { context } from './internal/context.js'

let entryPaths: Set<string> | undefined

function real(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

function entries(): Set<string> {
  if (entryPaths !== undefined) return entryPaths
  const paths = new Set<string>()
  const entry = process.argv[1]
  if (entry !== undefined) {
    const abs = resolve(entry)
    for (const candidate of [abs, `${abs}.js`, `${abs}.mjs`, `${abs}.ts`, `${abs}.mts`]) paths.add(real(candidate))
  }
  entryPaths = paths
  return paths
}

/**
 * True only in the program's entry module: never in a module imported by another, and never
 * inside a worker thread or child process (where the target's module is imported again). Guard
 * the code that starts threads and processes with it.
 *
 * @param meta - the calling module's `import.meta`
 * @example
 * ```ts
 * export function work(n: number) { return n * 2 }
 * if (isMain(import.meta)) {
 *   const t = new Thread({ target: work, args: [21] })
 *   t.start()
 *   await t.join()
 * }
 * ```
 */
export function isMain(meta: ImportMeta): boolean {
  if (context.unit !== undefined || !isMainThread) return false
  const native = (meta as ImportMeta & { main?: unknown }).main
  if (typeof native === 'boolean') return native
  if (typeof meta?.url !== 'string' || !meta.url.startsWith('file:')) return false
  return entries().has(real(fileURLToPath(meta.url)))
}
