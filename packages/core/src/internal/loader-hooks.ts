import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { UnitKind } from '../backend.js'

let hooksCache: readonly string[] | undefined

/** The `--import`/`--loader` values this program was started with. */
function loaderArgs(): string[] {
  const values: string[] = []
  const argv = process.execArgv
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const eq = /^--(?:import|loader|experimental-loader|require|r)=(.*)$/.exec(arg)
    if (eq?.[1] !== undefined) values.push(eq[1])
    else if (/^--(?:import|loader|experimental-loader|require)$|^-r$/.test(arg) && argv[i + 1] !== undefined) {
      values.push(argv[++i] as string)
    }
  }
  return values
}

function tsxApiFrom(value: string): string | undefined {
  const path = value.replace(/^file:\/\//, '')
  const inPackage = /^(.*[\\/]node_modules[\\/]tsx)[\\/]dist[\\/]/.exec(path)
  if (inPackage?.[1] !== undefined) return pathToFileURL(join(inPackage[1], 'dist/esm/api/index.mjs')).href
  if (value === 'tsx' || value.startsWith('tsx/')) {
    try {
      const cjs = process.getBuiltinModule('node:module').createRequire(join(process.cwd(), 'noop.js')).resolve('tsx/esm/api')
      const mjs = cjs.replace(/\.cjs$/, '.mjs')
      return pathToFileURL(process.getBuiltinModule('node:fs').existsSync(mjs) ? mjs : cjs).href
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * Loader hooks a unit of `kind` must register to import what this program imports: tsx's, when
 * the program runs under tsx (`tsx file.ts`, `node --import tsx file.ts`). A worker thread on
 * Node 20 does not inherit them; a child process does (fork passes `execArgv`), and registering
 * them there again would run every hook twice for each module the child imports, so a process
 * gets none.
 */
export function loaderHooks(kind: UnitKind): readonly string[] {
  if (kind === 'process') return []
  if (hooksCache !== undefined) return hooksCache
  const hooks = new Set<string>()
  for (const value of loaderArgs()) {
    const api = tsxApiFrom(value)
    if (api !== undefined) hooks.add(api)
  }
  hooksCache = [...hooks]
  return hooksCache
}
