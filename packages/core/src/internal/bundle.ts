/**
 * Whether @conc's code runs from its packages' build output or from an application bundle that
 * inlined it (esbuild, rollup, ...). Installed, each package ships an entry file beside its code
 * (`unit.js`, `entry/worker.js`, `entry/child.js`); a bundle does not, and there the
 * application's own code lives in the same file as @conc's. See ARCHITECTURE.md, "Bundled
 * applications".
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

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
    bundled = !SHIPPED_BESIDE.some((name) => existsSync(join(dir, name)))
    known.set(dir, bundled)
  }
  return bundled
}
