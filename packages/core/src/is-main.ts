/**
 * `isMain(import.meta)` / `isMain(module)`: Python's `if __name__ == "__main__":`, for ES modules
 * and CommonJS modules.
 *
 * @module
 */
import { context } from './internal/context.js'
import { threadInfo } from './internal/thread-info.js'

/** What `isMain` reads from a CommonJS module's `module` object. */
export interface CommonJSModule {
  readonly filename: string
}

let entryPaths: Set<string> | undefined

function real(path: string): string {
  try {
    return process.getBuiltinModule('node:fs').realpathSync(path)
  } catch {
    return path
  }
}

function entries(): Set<string> {
  if (entryPaths !== undefined) return entryPaths
  const paths = new Set<string>()
  const entry = process.argv[1]
  if (entry !== undefined) {
    const abs = process.getBuiltinModule('node:path').resolve(entry)
    for (const candidate of [abs, `${abs}.js`, `${abs}.mjs`, `${abs}.cjs`, `${abs}.ts`, `${abs}.mts`, `${abs}.cts`]) {
      paths.add(real(candidate))
    }
  }
  entryPaths = paths
  return paths
}

/** What `isMain` reads: `import.meta.main` (where Node has it), `url`, and `filename` (CommonJS). */
interface Readable {
  readonly main?: unknown
  readonly url?: unknown
  readonly filename?: unknown
}

function filenameOf(meta: Readable | undefined): string | undefined {
  if (typeof meta?.filename === 'string') return meta.filename
  const url = meta?.url
  return typeof url === 'string' && url.startsWith('file:') ? process.getBuiltinModule('node:url').fileURLToPath(url) : undefined
}

/**
 * True only in the program's entry module: never in a module imported by another, and never
 * inside a worker thread or child process (where the target's module is imported again). Guard
 * the code that starts threads and processes with it.
 *
 * @param meta - the calling module's `import.meta` (ES modules), or its `module` (CommonJS)
 * @example
 * ```ts
 * export function work(n: number) { return n * 2 }
 * if (isMain(import.meta)) {
 *   const t = new Thread({ target: work, args: [21] })
 *   t.start()
 *   await t.join()
 * }
 * ```
 * In CommonJS, pass `module` (the same as `require.main === module`, and false in units too):
 * ```js
 * function work(n) { return n * 2 }
 * module.exports = { work }
 * if (isMain(module)) new Thread({ target: work, args: [21] }).start()
 * ```
 */
export function isMain(meta: ImportMeta | CommonJSModule): boolean {
  if (context.unit !== undefined || context.bootstrapping || !threadInfo().isMainThread) return false
  const readable = meta as Readable | undefined
  if (typeof readable?.main === 'boolean') return readable.main
  const file = filenameOf(readable)
  return file !== undefined && entries().has(real(file))
}
