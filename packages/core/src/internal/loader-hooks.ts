let hooksCache: readonly string[] | undefined
/**
 * Loader hooks a unit must register to import what this program imports: tsx's, when the program
 * runs under tsx (a worker thread on Node 20 does not inherit them).
 */
export function loaderHooks(): readonly string[] {
  if (hooksCache !== undefined) return hooksCache
  const hooks: string[] = []
  for (const arg of process.execArgv) {
    const match = /^(.*[\\/]node_modules[\\/]tsx)[\\/]dist[\\/](?:loader|esm[\\/]index)\.m?js$/.exec(
      arg.replace(/^file:\/\//, ''),
    )
    if (match?.[1] !== undefined) hooks.push(`file://${match[1]}/dist/esm/api/index.mjs`)
  }
  hooksCache = hooks
  return hooks
}

