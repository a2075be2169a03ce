/**
 * The unit runtime: what runs inside a worker thread or child process that @conc started. A
 * backend's entry file builds a {@link UnitChannel} over its transport and calls {@link runUnit};
 * everything else (finding the target, running it, reporting uncaught errors) is here, once.
 *
 * This entry point is for backend packages, not for applications.
 *
 * @module
 */
import { context } from './internal/context.js'
import { serializeThrown } from './internal/error-transport.js'
import { explainRebuiltFailure, resolveSubclass, resolveTarget } from './internal/resolve-target.js'
import type { UnitInit, UnitMessage } from './internal/wire.js'
import { adoptAsCurrent, type AnyFunction } from './runner.js'

export type { UnitInit, UnitMessage } from './internal/wire.js'
export { isUnitMessage } from './internal/wire.js'
export { serializeThrown } from './internal/error-transport.js'

/** How the unit runtime talks to its parent, supplied by the backend's entry file. */
export interface UnitChannel {
  /** This unit's id (thread id or pid). */
  readonly ident: number
  send(message: UnitMessage): void
  /** Sends `message`, then ends the unit with `code` once the message is on its way. */
  sendAndExit(message: UnitMessage, code: number): void
  /** The target has finished: stop keeping the unit alive for the parent's sake. */
  release(): void
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
 * @param RunnerClass - the backend's runner class (`Thread`, `Process`), for `currentThread()`
 */
export async function runUnit(init: unknown, channel: UnitChannel, RunnerClass: abstract new (...args: never[]) => object): Promise<void> {
  if (!isInit(init)) throw new TypeError('@conc unit started without an init message')
  const report = (error: unknown): UnitMessage => ({ t: 'uncaught', error: serializeThrown(error) })
  process.on('uncaughtException', (error) => channel.sendAndExit(report(error), 1))
  process.on('unhandledRejection', (error) => channel.sendAndExit(report(error), 1))

  context.unit = {
    kind: init.kind,
    name: init.name,
    daemon: init.daemon,
    identity: init.identity,
    parent: init.parent,
    runner: undefined,
  }
  let target: AnyFunction | undefined
  let self: { run(): unknown }
  try {
    context.bootstrapping = true
    const resolved = init.target === undefined ? undefined : await resolveTarget(init.target, init.loaderHooks)
    target = resolved?.fn
    const Class = init.subclass === undefined ? RunnerClass : await resolveSubclass(init.subclass, init.loaderHooks)
    self = Object.create(Class.prototype as object) as { run(): unknown }
    Object.assign(self, init.subclass?.fields)
    adoptAsCurrent(self, init, target, channel.ident)
    context.unit.runner = self
  } catch (error) {
    channel.send(report(error))
    process.exitCode = 1
    channel.release()
    return
  } finally {
    context.bootstrapping = false
  }
  try {
    await self.run()
  } catch (error) {
    if (target !== undefined) explainRebuiltFailure(error, target)
    channel.send(report(error))
    process.exitCode = 1
  }
  channel.release()
}
