/**
 * How @conc imports a module it must find something in (a target, a runner subclass, an error
 * class): one path for all of them, so that each can import what the program imports. Under tsx,
 * tsx's loader hooks are registered first in a worker thread, which on Node 20 does not inherit
 * them (the main thread and child processes get them from their command line).
 */
type Namespace = Record<string, unknown>

/** The hooks registered in this thread (once), then every import waits for them. */
let registering: Promise<void> | undefined

async function register(hooks: readonly string[]): Promise<void> {
  for (const hook of hooks) {
    const api = (await import(hook)) as { register?: () => unknown }
    api.register?.()
  }
}

/**
 * The hooks this thread needs when its caller knows none (a unit is given its parent's, see
 * `UnitInit.loaderHooks`): a worker thread finds them on its command line, which it inherits.
 */
async function threadHooks(): Promise<readonly string[]> {
  if (process.getBuiltinModule('node:worker_threads').isMainThread) return []
  return (await import('./loader-hooks.js')).loaderHooks('thread')
}

function ready(hooks: readonly string[] | undefined): Promise<void> {
  if (registering === undefined && (hooks === undefined || hooks.length > 0)) {
    registering = (hooks === undefined ? threadHooks() : Promise.resolve(hooks)).then(register)
  }
  return registering ?? Promise.resolve()
}

/** An import that did not finish within its `timeoutMs` (it goes on; a `once` import may still land). */
export class ImportTimeout extends Error {
  constructor(readonly url: string, ms: number) {
    super(`importing ${url} took more than ${ms} ms`)
  }
}

export interface ImportOptions {
  /**
   * Loader hooks to register first (a unit's `init.loaderHooks`). By default, a worker thread
   * registers those of its command line (`--import tsx`).
   */
  readonly loaderHooks?: readonly string[] | undefined
  /** Import `url` once: later calls get the first one's outcome, failure included. */
  readonly once?: boolean | undefined
  /** Stop waiting after this long: rejects with {@link ImportTimeout}. */
  readonly timeoutMs?: number | undefined
}

const onceImports = new Map<string, Promise<Namespace>>()
const settled = new Map<string, Namespace | null>()

function load(url: string, hooks: readonly string[] | undefined): Promise<Namespace> {
  return ready(hooks).then(() => import(url) as Promise<Namespace>)
}

function loadOnce(url: string, hooks: readonly string[] | undefined): Promise<Namespace> {
  let pending = onceImports.get(url)
  if (pending === undefined) {
    pending = load(url, hooks)
    pending.then(
      (ns) => settled.set(url, ns),
      () => settled.set(url, null),
    )
    onceImports.set(url, pending)
  }
  return pending
}

/** Imports `url`, with the loader hooks it may need registered first. */
export async function importModule(url: string, options: ImportOptions = {}): Promise<Namespace> {
  const pending = options.once === true ? loadOnce(url, options.loaderHooks) : load(url, options.loaderHooks)
  const ms = options.timeoutMs
  if (ms === undefined) return pending
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ImportTimeout(url, ms)), ms)
  })
  try {
    return await Promise.race([pending, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The outcome of a `once` import of `url` that has finished: its namespace, `null` if it failed. */
export function importedOnce(url: string): Namespace | null | undefined {
  return settled.get(url)
}
