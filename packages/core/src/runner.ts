/**
 * The runner: Python's `Thread` and `Process` (`BaseProcess`), written once. A backend supplies
 * only how to start a unit ({@link UnitBackend}); the lifecycle, names, joins, exit codes, error
 * printing and the way the target travels live here.
 *
 * @module
 */
import type { UnitBackend, UnitExit, UnitHandle, UnitKind } from './backend.js'
import { Sentinel } from './connection/sentinel.js'
import { ConcTypeError, RuntimeError, ValueError } from './errors.js'
import { invokeExcepthook } from './excepthook.js'
import { encodeInit } from './internal/shared-codec.js'
import { raceAbort } from './internal/abort.js'
import { context, unitRecovered } from './internal/context.js'
import { nextNumber, processIdentity } from './internal/process-shared.js'
import { deserializeThrown, inArrivalOrder } from './internal/error-rebuild.js'
import { BOOTSTRAP_MESSAGE, DAEMON_CHILDREN_MESSAGE, MESSAGES, describe } from './internal/messages.js'
import { setLongTimeout, timeoutToMs } from './internal/timeout.js'
import { loaderHooks } from './internal/loader-hooks.js'
import { kState, setState, state, type RunnerState } from './internal/runner-state.js'
import { callerModule, classRef, targetSpec } from './internal/target-ref.js'
import { renameThread } from './internal/thread-registry.js'
import { isUncaught, type SubclassSpec, type UnitInit } from './internal/wire.js'

/** Any function: the shape a target must have. */
export type AnyFunction = (...args: never[]) => unknown

/**
 * Options of `new Thread(...)` / `new Process(...)`, Python's constructor arguments. `args` is
 * typed from `target`'s parameters, and is required when `target` has required parameters.
 */
export type RunnerOptions<F extends AnyFunction = AnyFunction> = {
  /** The function to run in the new unit. Omit it in a subclass that overrides `run()`. */
  readonly target?: F | null | undefined
  /** The unit's name; default `Thread-N (target)` / `Process-N`, as Python makes them. */
  readonly name?: string | number | null | undefined
  /** Whether the unit is a daemon (does not keep the program alive); default: the creator's flag. */
  readonly daemon?: boolean | null | undefined
} & ([] extends Parameters<F>
  ? { readonly args?: Readonly<Parameters<F>> | undefined }
  : { readonly args: Readonly<Parameters<F>> })

const active = new Set<BaseRunner>()
/** Runners whose `close()` was called (Python's `Process.close()`). */
const closed = new WeakSet<object>()
const sentinels = new WeakMap<object, Sentinel>()

/**
 * A runner subclass marked with this static property (its own, not inherited) adds nothing the
 * unit needs: it runs as its target, and does not travel by reference as a class (`Timer`).
 */
export const kRunsTarget = Symbol.for('@conc/runs-target')
let exitHookInstalled = false

function exitCodeOf({ code, signal }: UnitExit): number {
  if (signal !== null) return -((process.getBuiltinModule('node:os').constants.signals as Record<string, number | undefined>)[signal] ?? 0)
  return code ?? 0
}

function defaultName(kind: UnitKind, ctor: string, target: AnyFunction | undefined, identity: readonly number[]): string {
  if (kind === 'thread') return `Thread-${identity.at(-1) ?? 0}${target?.name ? ` (${target.name})` : ''}`
  return `${ctor}-${identity.join(':')}`
}

/** Daemon units of the process kind are ended when the program exits, as Python's atexit does. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const runner of active) {
      const s = state(runner)
      if (s.daemon && s.kind === 'process') s.handle?.terminate()
    }
  })
}

/** Python's `_check_closed()`: a closed runner's members raise. */
function checkClosed(runner: object): void {
  if (closed.has(runner)) throw new ValueError(`${state(runner).kind} object is closed`)
}

/**
 * Waits for the unit's end, at most `ms` (`undefined`: no limit), or until `signal` aborts. A
 * daemon unit is ref'd meanwhile: a program waiting for it must stay alive.
 */
async function waitExit(s: RunnerState, ms: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  if (s.exited === undefined) return
  const stopped = s.status === 'stopped'
  // Stopped: resolves at once, or once what a unit that died held is recovered (within `ms`).
  if (stopped && ms === undefined && signal === undefined) return s.exited
  signal?.throwIfAborted()
  if (s.joiners++ === 0 && s.daemon && !stopped) s.handle?.ref()
  let timer: NodeJS.Timeout | undefined
  try {
    const ended = ms === undefined ? s.exited : Promise.race([s.exited, new Promise<void>((resolve) => (timer = setLongTimeout(resolve, ms)))])
    await (signal === undefined ? ended : raceAbort(ended, signal))
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    if (--s.joiners === 0 && s.daemon && s.status === 'started') s.handle?.unref()
  }
}

/**
 * The runner contract that `Thread` and `Process` share. Use it through a backend package:
 * `new Thread({ target, args })` from `@conc/threading`, `new Process({ target, args })` from
 * `@conc/multiprocessing`. Subclasses may override {@link BaseRunner.run} instead of passing a
 * target; such a class must be exported from the module that defines it.
 *
 * @example
 * ```ts
 * export function fazAlgo(valor: string) { console.log(`Fazendo algo com o ${valor}`) }
 * if (isMain(import.meta)) {
 *   const th = new Thread({ target: fazAlgo, args: ['Pássaro'] })
 *   th.start()
 *   await th.join()
 * }
 * ```
 */
export abstract class BaseRunner<F extends AnyFunction = AnyFunction> {
  declare private readonly [kState]: RunnerState

  constructor(backend: UnitBackend, options?: RunnerOptions<F>) {
    const opts: { target?: unknown; args?: unknown; name?: unknown; daemon?: unknown } = options ?? {}
    const target = opts.target ?? undefined
    if (target !== undefined && typeof target !== 'function') {
      throw new ConcTypeError(`target must be a function, got ${describe(target)} ('${typeof target}' object is not callable)`)
    }
    const args = opts.args ?? []
    if (!Array.isArray(args)) throw new ConcTypeError(`args must be an array, got ${describe(args)}`)
    const kind = backend.kind
    const named = opts.name !== undefined && opts.name !== null && opts.name !== ''
    // Python numbers every process, but only the threads that get a default name.
    const prefix = kind === 'process' ? processIdentity() : []
    const identity = kind === 'thread' && named ? [] : [...prefix, nextNumber(kind)]
    const name = named
      ? String(opts.name)
      : defaultName(kind, new.target.name, target as AnyFunction | undefined, identity)
    setState(this, {
      backend,
      kind,
      name,
      daemon: opts.daemon === undefined || opts.daemon === null ? (context.unit?.daemon ?? false) : Boolean(opts.daemon),
      target: target as AnyFunction | undefined,
      args: [...(args as unknown[])],
      caller: callerModule(),
      identity,
      status: 'initial',
      current: false,
      ident: null,
      exitCode: null,
      handle: undefined,
      exited: undefined,
      uncaught: undefined,
      joiners: 0,
    })
  }

  /** The unit's name. Used in the uncaught-error header; has no other meaning. */
  get name(): string {
    return state(this).name
  }
  set name(value: string) {
    const s = state(this)
    s.name = String(value)
    // Every thread of the process sees the new name in enumerate().
    if (s.kind === 'thread' && s.ident !== null && s.status === 'started') renameThread(s.ident, s.name)
  }

  /**
   * Whether the unit is a daemon: a daemon does not keep the program alive and is ended when the
   * program exits. Can only be set before `start()`.
   */
  get daemon(): boolean {
    return state(this).daemon
  }
  set daemon(value: boolean) {
    const s = state(this)
    if (s.status !== 'initial' || s.current) throw new RuntimeError(MESSAGES[s.kind].daemonAfterStart)
    s.daemon = Boolean(value)
  }

  /** The thread id / process id: `null` before `start()`, kept after the unit ends. */
  get ident(): number | null {
    checkClosed(this)
    return state(this).ident
  }

  /**
   * `null` until the unit has finished; then 0 after a normal return, 1 after an uncaught error,
   * `n` after `process.exit(n)` in the target, `-N` when it was ended by signal N.
   */
  get exitCode(): number | null {
    checkClosed(this)
    return state(this).exitCode
  }

  /**
   * Becomes ready when the unit has ended: give it to `connection.wait()` beside connections, or
   * `await` it (Python's `Process.sentinel`, here on threads too).
   *
   * @throws {ValueError} before `start()` (`process not started`), and after `close()`
   * @example
   * ```ts
   * const ready = await connection.wait([conn, p.sentinel])
   * if (ready.includes(p.sentinel)) console.log('the process ended')
   * ```
   */
  get sentinel(): Sentinel {
    checkClosed(this)
    const s = state(this)
    if (s.current || s.status === 'initial' || s.exited === undefined) throw new ValueError(`${s.kind} not started`)
    let sentinel = sentinels.get(this)
    if (sentinel === undefined) {
      sentinel = new Sentinel(
        (ms, signal) => waitExit(s, ms, signal),
        () => s.status === 'stopped',
      )
      sentinels.set(this, sentinel)
    }
    return sentinel
  }

  /**
   * Releases what the runner holds (Python's `Process.close()`). Afterwards its members (`join`,
   * `isAlive`, `exitCode`, `ident`, `sentinel`, `terminate`, …) raise `ValueError`; `name` and
   * `daemon` still read. A second call does nothing.
   *
   * @throws {ValueError} while the unit still runs (join or terminate it first)
   */
  close(): void {
    if (closed.has(this)) return
    const s = state(this)
    if (s.status === 'started' && !s.current) {
      const noun = s.kind === 'thread' ? 'thread' : 'process'
      throw new ValueError(`Cannot close a ${noun} while it is still running. You should first call join() or terminate().`)
    }
    s.handle = undefined
    sentinels.delete(this)
    closed.add(this)
  }

  /**
   * Starts the unit. At most once per runner. The unit runs {@link BaseRunner.run} on the other
   * side; `ident` is known when `start()` returns.
   *
   * @throws {RuntimeError} when started twice, or from a unit still importing its target's module
   * @throws {ConcTypeError} when an argument cannot cross to the unit (it names the argument)
   */
  start(): void {
    checkClosed(this)
    const s = state(this)
    const backend = s.backend
    if (s.status !== 'initial' || s.current || backend === undefined) {
      throw new RuntimeError(MESSAGES[s.kind].startTwice)
    }
    if (context.bootstrapping) throw new RuntimeError(BOOTSTRAP_MESSAGE, { code: 'ERR_CONC_BOOTSTRAP' })
    if (s.kind === 'process' && context.unit?.kind === 'process' && context.unit.daemon) {
      throw new RuntimeError(DAEMON_CHILDREN_MESSAGE)
    }
    // Primitives in args travel as handles to the same objects (internal/shared-codec.ts).
    const shared = encodeInit(this.#init(s), s.kind)
    const init = shared.value
    let handle: UnitHandle
    try {
      handle = backend.spawn(init, { daemon: s.daemon })
    } catch (error) {
      throw this.#explainSpawnError(s, backend, init, error)
    }
    s.handle = handle
    shared.attach(handle)
    s.ident = handle.id
    s.status = 'started'
    active.add(this)
    if (s.kind === 'process') installExitHook()
    // An error whose class must be imported first is handed over once it is (usually at once);
    // the exit waits for it, so the hook has run when join() resolves.
    const inOrder = inArrivalOrder()
    handle.onMessage((message) => {
      if (!isUncaught(message)) return
      inOrder([message.error], () => {
        s.uncaught = { value: deserializeThrown(message.error) }
      })
    })
    s.exited = new Promise<void>((resolve) => {
      handle.onExit((exit) => {
        inOrder(undefined, () => {
          s.exitCode = exitCodeOf(exit)
          s.status = 'stopped'
          active.delete(this)
          if (s.uncaught !== undefined) invokeExcepthook(this, s.kind, s.uncaught.value)
          // A unit that died (killed, crashed, a non-zero exit) may have held primitives or managed
          // objects: join() returns once they are recovered (a lock it held is free), which takes
          // a process's grace for its last messages (about 0.1 s). A unit that ended normally
          // applied its operations before it ended, and its join() does not wait.
          if (exit.signal === null && exit.code === 0) resolve()
          // After the handle's other exit listeners, which schedule the recoveries.
          else queueMicrotask(() => void unitRecovered(handle).then(resolve))
        })
      })
    })
  }

  /**
   * Waits until the unit has finished, or until `timeout` seconds have passed (the unit is then
   * still alive: check {@link BaseRunner.isAlive}). A negative timeout counts as 0. All output
   * the unit wrote has reached this program's streams when it resolves.
   *
   * @throws {RuntimeError} when the runner was never started, or is the current unit
   */
  async join(timeout?: number | null): Promise<void> {
    checkClosed(this)
    const s = state(this)
    if (s.current) throw new RuntimeError(MESSAGES[s.kind].joinCurrent)
    if (s.status === 'initial' || s.exited === undefined) throw new RuntimeError(MESSAGES[s.kind].joinBeforeStart)
    const ms = timeoutToMs(timeout)
    // A daemon does not keep the program alive, but a program waiting for it must stay alive.
    await waitExit(s, ms, undefined)
  }

  /** True from `start()` until the unit has finished. */
  isAlive(): boolean {
    checkClosed(this)
    const s = state(this)
    return s.current || s.status === 'started'
  }

  /**
   * Stops the unit: SIGTERM for a process (`exitCode` -15); a thread is stopped where it is and
   * reports the same code. Does nothing if the unit is not running.
   */
  terminate(): void {
    checkClosed(this)
    const s = state(this)
    if (s.status === 'started') s.handle?.terminate()
  }

  /** Stops the unit at once: SIGKILL for a process (`exitCode` -9); a thread reports the same. */
  kill(): void {
    checkClosed(this)
    const s = state(this)
    if (s.status === 'started') s.handle?.kill()
  }

  /**
   * Sends SIGINT where the backend has signals (Python 3.14's `Process.interrupt()`); does
   * nothing unless running. For backend runner classes: `Process.interrupt()` calls it.
   *
   * @throws {RuntimeError} when the backend cannot interrupt its units
   */
  protected interruptUnit(): void {
    checkClosed(this)
    const s = state(this)
    if (s.status !== 'started' || s.current) return
    const handle = s.handle
    if (handle?.interrupt === undefined) throw new RuntimeError(`a ${s.kind} cannot be interrupted: it receives no signals`)
    handle.interrupt()
  }

  /**
   * The unit's activity; runs on the other side. The default calls `target(...args)` (and waits
   * for it if it returns a promise). Override it in a subclass instead of passing a target.
   */
  run(): unknown {
    const s = state(this)
    return s.target === undefined ? undefined : (s.target as (...args: unknown[]) => unknown)(...s.args)
  }

  /** Ends the unit if it still runs, then waits for it: `await using t = new Thread(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    const s = state(this)
    if (s.status !== 'started') return
    this.terminate()
    await this.join()
  }

  toString(): string {
    const s = state(this)
    const status = closed.has(this) ? 'closed' : s.current ? 'started' : s.status
    if (s.kind === 'thread') {
      const ident = s.ident === null ? '' : ` ${s.ident}`
      return `<${this.constructor.name}(${s.name}, ${status}${status === 'initial' ? '' : ident}${s.daemon ? ' daemon' : ''})>`
    }
    const parts = [`name='${s.name}'`]
    if (s.ident !== null) parts.push(`pid=${s.ident}`)
    parts.push(status)
    if (s.exitCode !== null) parts.push(`exitcode=${s.exitCode}`)
    if (s.daemon) parts.push('daemon')
    return `<${this.constructor.name} ${parts.join(' ')}>`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }

  #init(s: RunnerState): UnitInit {
    return {
      $conc: 1,
      kind: s.kind,
      name: s.name,
      daemon: s.daemon,
      identity: s.identity,
      parent: { pid: process.pid, name: context.unit?.name ?? (s.kind === 'thread' ? 'MainThread' : 'MainProcess') },
      target: s.target === undefined ? undefined : targetSpec(s.target, s.caller),
      args: s.args,
      subclass: this.#subclassSpec(s),
      loaderHooks: loaderHooks(s.kind),
    }
  }

  /** A subclass travels by reference to its class and by value for its own fields. */
  #subclassSpec(s: RunnerState): SubclassSpec | undefined {
    const proto: unknown = Object.getPrototypeOf(this)
    if (Object.getPrototypeOf(proto) === BaseRunner.prototype || Object.hasOwn(this.constructor, kRunsTarget)) return undefined
    const fields: Record<string, unknown> = {}
    for (const key of Object.keys(this)) fields[key] = (this as unknown as Record<string, unknown>)[key]
    const { module, path } = classRef(this.constructor as abstract new () => unknown, s.caller)
    return { module, exportName: this.constructor.name, path, caller: module === s.caller ? undefined : s.caller, fields }
  }

  #explainSpawnError(s: RunnerState, backend: UnitBackend, init: UnitInit, error: unknown): unknown {
    const noun = backend.unitNoun
    const culprits: string[] = []
    init.args.forEach((arg, i) => {
      const why = backend.whyNotSendable(arg)
      if (why !== undefined) culprits.push(`argument ${i} (${describe(arg)}): ${why.replace(/\.+$/, '')}`)
    })
    for (const [key, value] of Object.entries(init.subclass?.fields ?? {})) {
      const why = backend.whyNotSendable(value)
      if (why !== undefined) culprits.push(`field '${key}' (${describe(value)}): ${why.replace(/\.+$/, '')}`)
    }
    if (culprits.length === 0) return error
    return new ConcTypeError(
      `${s.name}: cannot send ${culprits.join('; ')}. Arguments travel to the ${noun} by value, ` +
        'so they must be data (no functions, symbols or class instances with behaviour).',
      { cause: error, code: 'ERR_CONC_DATA_CLONE' },
    )
  }
}

/** The runners of `kind` started from this isolate that have not finished, in start order. */
export function activeRunners(kind: UnitKind): BaseRunner[] {
  return [...active].filter((runner) => state(runner).kind === kind)
}
