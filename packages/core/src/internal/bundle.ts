/**
 * Whether @conc's code runs from its packages' build output or from an application bundle that
 * inlined it (esbuild, rollup, ...). Installed, each package ships an entry file beside its code
 * (`unit.js`, `entry/worker.js`, `entry/child.js`); a bundle does not, and there the
 * application's own code lives in the same file as @conc's. See ARCHITECTURE.md, "Bundled
 * applications".
 */
// node:path and node:url through process.getBuiltinModule, not static imports: this module loads
// with the public module, and each built-in an ES module imports costs it a module wrapper.
const nodePath = () => process.getBuiltinModule('node:path')
const fileURLToPath = (url: string | URL): string => process.getBuiltinModule('node:url').fileURLToPath(url)
const dirname = (file: string): string => nodePath().dirname(file)

const SHIPPED_BESIDE = ['unit.js', 'entry/worker.js', 'entry/child.js']
const shipped = new Map<string, boolean>()

/** Whether a file a package ships beside its code is there (a path; checked once). */
function isShipped(file: string): boolean {
  let there = shipped.get(file)
  if (there === undefined) {
    // node:fs on first use: importing it from an ES module loads Node's streams (see thread-info.ts).
    there = process.getBuiltinModule('node:fs').existsSync(file)
    shipped.set(file, there)
  }
  return there
}

/**
 * True when `file` (a path) holds @conc code that an application bundle inlined: none of the files
 * @conc's packages ship beside their code is there.
 */
export function isBundleFile(file: string): boolean {
  const dir = dirname(file)
  return !SHIPPED_BESIDE.some((name) => isShipped(nodePath().join(dir, name)))
}

/**
 * The file a backend's new unit runs: its entry file `builtEntry` when the package ships it beside
 * its code (`selfUrl`, the backend module's `import.meta.url`), else the file that holds the
 * backend's code, which is then an application bundle that inlined it: the unit runs the bundle
 * again, as Python's spawn runs `__main__`. The backend module must then import its entry's code
 * itself, with a literal `import('./entry/...')` a bundler can see, when `isPendingUnit()`.
 *
 * @example
 * ```ts
 * const entry = unitEntry(new URL('./entry/worker.js', import.meta.url), import.meta.url)
 * if (isPendingUnit()) void import('./entry/worker.js')
 * ```
 */
export function unitEntry(builtEntry: URL, selfUrl: string): URL {
  return isShipped(fileURLToPath(builtEntry)) ? builtEntry : new URL(selfUrl)
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
  return coreIsBundled() && isBundleFile(file)
}

/** Whether core's own code runs from an application bundle (not from its package's `dist/`). */
export function coreIsBundled(): boolean {
  return isBundleFile(coreFile)
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
