/**
 * The referent of `manager.Pool()`: a pool in the manager's owner, called by proxies with their
 * functions by reference (target specs, as a unit's target travels), resolved here once each.
 */
import { ConcTypeError } from '../../errors.js'
import type { AsyncResult, BasePool } from '../../executor/pool.js'
import { fromModule, type TargetSpec } from '../../internal/target-ref.js'
import type { AnyFunction } from '../../runner.js'

const resolved = new Map<string, Promise<AnyFunction>>()

function isSpec(value: unknown): value is TargetSpec {
  return typeof value === 'object' && value !== null && typeof (value as TargetSpec).source === 'string'
}

/** The function a spec names: its module's export (so the pool ships it by reference again). */
export async function functionOf(spec: unknown): Promise<AnyFunction> {
  if (!isSpec(spec)) throw new ConcTypeError('a managed pool is called with functions (through its proxy)')
  const key = `${spec.module ?? ''}#${spec.exportName ?? spec.name}#${spec.source}`
  let fn = resolved.get(key)
  if (fn === undefined) {
    fn = (async () => {
      const { resolveTarget } = await import('../../internal/resolve-target.js')
      const found = await resolveTarget(spec, [])
      // Read from the bindings of a module still being evaluated (its export name may differ):
      // the pool locates the function itself, by where it is defined.
      if (found.bound === true) return found.fn
      // The pool finds its functions from the calling module, which here is @conc's own: say where it is.
      const exportName = spec.exportName ?? (spec.path?.length === 1 ? spec.path[0] : undefined) ?? spec.name
      if (!found.rebuilt && spec.module !== undefined) return fromModule(found.fn as (...args: never[]) => unknown, spec.module, exportName) as AnyFunction
      return found.fn
    })()
    resolved.set(key, fn)
    fn.catch(() => resolved.delete(key))
  }
  return fn
}

type MapOptions = { readonly chunksize?: number }

function mapOptions(options: unknown): MapOptions {
  const chunksize = (options as { chunksize?: number } | undefined | null)?.chunksize
  return chunksize === undefined ? {} : { chunksize }
}

/**
 * The referent of a pool's `AsyncResult`: the same methods, without `then` (a thenable would be
 * awaited in its place wherever the manager awaits a result).
 */
export class ManagedResult {
  constructor(readonly result: AsyncResult<unknown>) {}
  get(timeout?: number | null): Promise<unknown> {
    return this.result.get(timeout)
  }
  wait(timeout?: number | null): Promise<void> {
    return this.result.wait(timeout)
  }
  ready(): boolean {
    return this.result.ready()
  }
  successful(): boolean {
    return this.result.successful()
  }
  toString(): string {
    return String(this.result)
  }
}

export class ManagedPool {
  constructor(readonly pool: BasePool) {}

  async apply(spec: unknown, args: readonly unknown[] = []): Promise<unknown> {
    return this.pool.apply(await functionOf(spec), args as never)
  }
  async applyAsync(spec: unknown, args: readonly unknown[] = []): Promise<ManagedResult> {
    return new ManagedResult(this.pool.applyAsync(await functionOf(spec), args as never))
  }
  async map(spec: unknown, items: readonly unknown[], options?: unknown): Promise<unknown[]> {
    return this.pool.map(await functionOf(spec), items as never, mapOptions(options))
  }
  async mapAsync(spec: unknown, items: readonly unknown[], options?: unknown): Promise<ManagedResult> {
    return new ManagedResult(this.pool.mapAsync(await functionOf(spec), items as never, mapOptions(options)))
  }
  async starmap(spec: unknown, items: readonly (readonly unknown[])[], options?: unknown): Promise<unknown[]> {
    return this.pool.starmap(await functionOf(spec), items as never, mapOptions(options))
  }
  async starmapAsync(spec: unknown, items: readonly (readonly unknown[])[], options?: unknown): Promise<ManagedResult> {
    return new ManagedResult(this.pool.starmapAsync(await functionOf(spec), items as never, mapOptions(options)))
  }
  async imap(spec: unknown, items: readonly unknown[], options?: unknown): Promise<unknown> {
    return this.pool.imap(await functionOf(spec), items as never, mapOptions(options))
  }
  async imapUnordered(spec: unknown, items: readonly unknown[], options?: unknown): Promise<unknown> {
    return this.pool.imapUnordered(await functionOf(spec), items as never, mapOptions(options))
  }
  close(): void {
    this.pool.close()
  }
  terminate(): void {
    this.pool.terminate()
  }
  async join(): Promise<void> {
    await this.pool.join()
  }
  toString(): string {
    return String(this.pool)
  }
}

