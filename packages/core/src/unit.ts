/**
 * The unit runtime: what runs inside a worker thread or child process that @conc started. A
 * backend's entry file builds a {@link UnitChannel} over its transport and calls {@link runUnit};
 * everything else (finding the target, running it, reporting uncaught errors) is here, once.
 *
 * This entry point is for backend packages, not for applications.
 *
 * @module
 */
import { context, loadLazyModules } from './internal/context.js'
import { readyToSerialize, serializeThrown } from './internal/error-transport.js'
import { explainRebuiltFailure, resolveSubclass, resolveTarget } from './internal/resolve-target.js'
import { POOL_WORKER_MODULE, type ServiceSpec, type UnitInit, type UnitMessage, type WireMessage } from './internal/wire.js'
import { adoptAsCurrent } from './internal/runner-state.js'
import type { AnyFunction } from './runner.js'
import type { TransferListItem } from './backend.js'

export type { ServiceSpec, UnitInit, UnitMessage, WireMessage } from './internal/wire.js'
export { isWireMessage } from './internal/wire.js'
export { serializeThrown } from './internal/error-transport.js'
export { UNIT_ARG, claimUnit, isPendingUnit } from './internal/unit-arg.js'
export { threadInfo } from './internal/thread-info.js'
export { unitEntry } from './internal/bundle.js'
export { SpinBackoff } from './executor/spin-backoff.js'

/** How the unit runtime talks to its parent, supplied by the backend's entry file. */
export interface UnitChannel {
  /** This unit's id (thread id or pid). */
  readonly ident: number
  /** Sends a message to the parent; `transfer` moves `ArrayBuffer`s where the backend can. */
  send(message: UnitMessage, transfer?: readonly TransferListItem[]): void
  /** Every message the parent sends after the init message, in order. */
  onMessage(listener: (message: WireMessage) => void): void
  /** Sends `message`, then ends the unit with `code` once the message is on its way. */
  sendAndExit(message: UnitMessage, code: number): void
  /** The target has finished: stop keeping the unit alive for the parent's sake. */
  release(): void
  /**
   * Worker threads only (@conc/threading's entry; processes have none): waits up to `timeoutMs`
   * for the parent's next message synchronously, hands the messages that came to the listeners and
   * returns how many (0: none came in time). `spinMs`: first watch for a message for up to that
   * long without sleeping (executor/idle-spin.ts; less, or not at all, when the parent does not
   * take the unit's replies at once: executor/spin-backoff.ts). See executor/pool-worker.ts for
   * when it is safe to block.
   */
  waitMessage?(timeoutMs: number, spinMs?: number): number
}

/** What a service (see {@link ServiceSpec}) is given. */
export interface ServiceContext {
  readonly channel: UnitChannel
  readonly data: unknown
  readonly init: UnitInit
}

/** A unit's long-lived activity, run instead of a runner target. */
export type UnitService = (context: ServiceContext) => unknown

async function runService(spec: ServiceSpec, init: UnitInit, channel: UnitChannel): Promise<void> {
  const module = (
    spec.module === POOL_WORKER_MODULE ? await import('./executor/pool-worker.js') : await import(spec.module)
  ) as Record<string, unknown>
  const service = module[spec.exportName]
  if (typeof service !== 'function') throw new TypeError(`${spec.module} exports no service '${spec.exportName}'`)
  await (service as UnitService)({ channel, data: spec.data, init })
}

/**
 * Primitives in args become handles to the same objects. The codec, and the modules of the types
 * it meets, are loaded only when the parent flagged that the args carry some: a unit's start-up
 * cost is what it uses.
 */
async function decodeShared(init: UnitInit, channel: UnitChannel): Promise<UnitInit> {
  if (init.handles !== 1) return init
  loadLazyModules()
  const codec = await import('./internal/shared-codec.js')
  return codec.decodeInit(init, channel)
}

function isInit(value: unknown): value is UnitInit {
  return typeof value === 'object' && value !== null && (value as { $conc?: unknown }).$conc === 1
}

/**
 * Runs a unit: imports what the target needs, runs the runner's `run()`, reports an uncaught
 * error to the parent and sets the exit code to 1.
 *
 * @param init - the init message the parent sent
 * @param channel - the backend's transport
 */
export async function runUnit(init: unknown, channel: UnitChannel): Promise<void> {
  if (!isInit(init)) throw new TypeError('@conc unit started without an init message')
  const report = (error: unknown): UnitMessage => ({ t: 'uncaught', error: serializeThrown(error) })
  // An error of a class that must be found by module loads the locator first (see error-transport).
  const fatal = (error: unknown): void => {
    const exit = (): void => channel.sendAndExit(report(error), 1)
    const ready = readyToSerialize(error)
    if (ready === undefined) exit()
    else void ready.then(exit)
  }
  process.on('uncaughtException', fatal)
  process.on('unhandledRejection', fatal)

  context.unit = {
    kind: init.kind,
    name: init.name,
    daemon: init.daemon,
    identity: init.identity,
    parent: init.parent,
    runner: undefined,
  }
  // currentThread()/currentProcess() make the runner object on first use, from their own class.
  const unit = context.unit
  let target: AnyFunction | undefined
  let adopted: UnitInit = init // the init with its primitives decoded, once they are
  unit.makeRunner = (RunnerClass) => {
    const self = Object.create(RunnerClass.prototype as object) as object
    adoptAsCurrent(self, adopted, target, channel.ident)
    return self
  }
  const settle = async (): Promise<void> => {
    await context.settle?.()
  }
  if (init.service !== undefined) {
    try {
      await runService(init.service, init, channel)
    } catch (error) {
      await readyToSerialize(error)
      channel.send(report(error))
      process.exitCode = 1
    }
    await settle()
    channel.release()
    return
  }
  let run: () => unknown
  try {
    context.bootstrapping = true
    const decoded = await decodeShared(init, channel)
    adopted = decoded
    const resolved = decoded.target === undefined ? undefined : await resolveTarget(decoded.target, decoded.loaderHooks)
    target = resolved?.fn
    if (decoded.subclass !== undefined) {
      // A subclass's own run() is the activity: the object is made now, with its fields.
      const Class = await resolveSubclass(decoded.subclass, decoded.loaderHooks)
      const self = Object.create(Class.prototype as object) as { run(): unknown }
      Object.assign(self, decoded.subclass.fields)
      adoptAsCurrent(self, decoded, target, channel.ident)
      unit.runner = self
      run = () => self.run()
    } else {
      // The default run(): target(...args), without loading a runner class.
      const fn = target as ((...args: unknown[]) => unknown) | undefined
      const args = decoded.args
      run = () => fn?.(...args)
    }
  } catch (error) {
    await readyToSerialize(error)
    channel.send(report(error))
    process.exitCode = 1
    channel.release()
    return
  } finally {
    context.bootstrapping = false
  }
  try {
    await run()
  } catch (error) {
    if (target !== undefined) explainRebuiltFailure(error, target)
    await readyToSerialize(error)
    channel.send(report(error))
    process.exitCode = 1
  }
  await settle()
  channel.release()
}
