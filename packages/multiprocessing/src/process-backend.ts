import type { ChildProcess, ForkOptions } from 'node:child_process'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { UNIT_ARG, isPendingUnit, isWireMessage, serializeThrown, unitEntry, unitExecArgv, type UnitBackend, type UnitHandle, type UnitInit, type UnitMessage } from '@conc/core'
import { forkGuarded } from './orphan-guard.js'
import { WireIn, WireOut, PIPE_FD } from './wire-pipe.js'

// Built-in modules are loaded on first use, not when @conc/multiprocessing is imported: a program
// (or a worker thread) that imports it without starting a process does not pay for them.
const serialize = (value: unknown): Buffer => process.getBuiltinModule('node:v8').serialize(value)

/** The file a child process runs: the entry file, or the bundle. See ARCHITECTURE.md, "Bundled applications". */
const childEntry = (): string => fileURLToPath(unitEntry(new URL('./entry/child.js', import.meta.url), import.meta.url))
// A process started on a bundle: run the unit once the bundle has loaded.
if (isPendingUnit()) void import('./entry/child.js')

function spawnChild(init: UnitInit): ChildProcess {
  // The V8 channel, and a pipe beside it for plain messages as JSON (wire-pipe.ts).
  const options: ForkOptions = { serialization: 'advanced', stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'] }
  // The lazy public modules' export condition where it is safe (core's internal/unit-conditions.ts).
  const execArgv = unitExecArgv(init)
  if (execArgv !== undefined) options.execArgv = execArgv
  // No orphans: the child cannot outlive this process, nor the thread that starts it.
  return forkGuarded(childEntry(), [UNIT_ARG], options)
}

/** Child processes as a @conc backend: a unit is a forked Node process running the core runtime. */
export const processBackend: UnitBackend = {
  kind: 'process',
  unitNoun: 'child process',
  spawn(init, { daemon }): UnitHandle {
    // Serialize first: an argument that cannot cross must fail before a process exists.
    serialize(init)
    const child = spawnChild(init)
    const messageListeners: ((message: UnitMessage) => void)[] = []
    const pipe = child.stdio[PIPE_FD] as Socket
    const wireIn = new WireIn((message) => {
      if (isWireMessage(message)) for (const listener of messageListeners) listener(message as UnitMessage)
    }, pipe)
    const wireOut = new WireOut((message, done) => {
      // A message to a child that has just exited is dropped, not reported as the child's error.
      if (!child.connected) return done(null)
      child.send(message as never, done)
    }, pipe)
    child.on('message', (message: unknown) => wireIn.receive(message))
    child.on('error', (error) => {
      const message: UnitMessage = { t: 'uncaught', error: serializeThrown(error) }
      for (const listener of messageListeners) listener(message)
    })
    wireOut.send(init)
    const setRef = (ref: boolean): void => {
      const channel = child.channel as { ref(): void; unref(): void } | null | undefined
      if (ref) {
        child.ref()
        channel?.ref()
      } else {
        child.unref()
        channel?.unref()
      }
    }
    if (daemon) setRef(false)
    return {
      id: child.pid ?? -1,
      send: (message) => wireOut.send(message),
      onMessage: (listener) => void messageListeners.push(listener),
      // After the lines it wrote before it ended (its pipe read to the end), or 1 s if the pipe stays
      // open (a process the child started may hold it).
      onExit: (listener) => void child.once('exit', (code, signal) => wireIn.settled(1000, () => listener({ code, signal }))),
      terminate: () => void child.kill('SIGTERM'),
      kill: () => void child.kill('SIGKILL'),
      interrupt: () => void child.kill('SIGINT'),
      ref: () => setRef(true),
      unref: () => setRef(false),
    }
  },
  whyNotSendable(value) {
    try {
      serialize(value)
      return undefined
    } catch (error) {
      return (error as Error).message
    }
  },
}
