import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

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
      const cjs = createRequire(join(process.cwd(), 'noop.js')).resolve('tsx/esm/api')
      const mjs = cjs.replace(/\.cjs$/, '.mjs')
      return pathToFileURL(existsSync(mjs) ? mjs : cjs).href
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * Loader hooks a unit must register to import what this program imports: tsx's, when the program
 * runs under tsx (`tsx file.ts`, `node --import tsx file.ts`). A worker thread on Node 20 does not
 * inherit them; a child process does (fork passes `execArgv`), so only threads use this.
 */
export function loaderHooks(): readonly string[] {
  if (hooksCache !== undefined) return hooksCache
  const hooks = new Set<string>()
  for (const value of loaderArgs()) {
    const api = tsxApiFrom(value)
    if (api !== undefined) hooks.add(api)
  }
  hooksCache = [...hooks]
  return hooksCache
}
