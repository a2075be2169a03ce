/**
 * Whether @conc's code runs from its packages' build output or from an application bundle that
 * inlined it (esbuild, rollup, ...). Installed, each package ships an entry file beside its code
 * (`unit.js`, `entry/worker.js`, `entry/child.js`); a bundle does not, and there the
 * application's own code lives in the same file as @conc's. See ARCHITECTURE.md, "Bundled
 * applications".
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const SHIPPED_BESIDE = ['unit.js', join('entry', 'worker.js'), join('entry', 'child.js')]
const known = new Map<string, boolean>()

/**
 * True when `file` (a path) holds @conc code that an application bundle inlined: none of the files
 * @conc's packages ship beside their code is there. Checked once per directory.
 */
export function isBundleFile(file: string): boolean {
  const dir = dirname(file)
  let bundled = known.get(dir)
  if (bundled === undefined) {
    // node:fs on first use: importing it from an ES module loads Node's streams (see thread-info.ts).
    const { existsSync } = process.getBuiltinModule('node:fs')
    bundled = !SHIPPED_BESIDE.some((name) => existsSync(join(dir, name)))
    known.set(dir, bundled)
  }
  return bundled
}

const internalFiles = new Set<string>()

/**
 * Marks the directory of `moduleUrl` as @conc's own, so the search for "the calling module" skips
 * its frames. Each package calls it once for its build output. (Inlined into an application
 * bundle, only that file is marked, and the application's frames in it are the bundle's.)
 */
export function registerInternalModule(moduleUrl: string): void {
  internalFiles.add(fileURLToPath(moduleUrl))
}
registerInternalModule(import.meta.url)
const coreFile = fileURLToPath(import.meta.url)

/**
 * A registered file that an application bundle inlined. Only when core's own code was bundled: an
 * installed backend by another author keeps its directory, entry files or not.
 */
function inBundle(file: string): boolean {
  return isBundleFile(coreFile) && isBundleFile(file)
}

/** Whether `url` is @conc's own code (a registered file, or in a registered package's directory). */
export function isInternal(url: string): boolean {
  if (!url.startsWith('file:')) return true
  const path = fileURLToPath(url)
  for (const file of internalFiles) {
    if (path === file) return true
    const dir = dirname(file)
    if (!inBundle(file) && (path.startsWith(dir + '/') || path.startsWith(dir + '\\'))) return true
  }
  return false
}

/** Whether `url` is an application bundle that inlined @conc (the caller's code is in it too). */
export function isBundle(url: string): boolean {
  if (!url.startsWith('file:')) return false
  const path = fileURLToPath(url)
  return internalFiles.has(path) && inBundle(path)
}
