/**
 * Entry of every child process @conc starts: a channel over the IPC pipe, then the core runtime.
 * In an application bundle this code is loaded in every process and thread of the program, so it
 * runs only in a process that @conc started as a unit (`claimUnit()`).
 */
import { claimUnit, isWireMessage, runUnit, threadInfo, type UnitChannel, type WireMessage } from '@conc/core/unit'
import { guardChild } from './child-guard.js'
import { PIPE_FD, WireIn, WireOut } from '../wire-pipe.js'

// threadInfo(), not node:worker_threads: importing that in a child's main thread loads Node's
// streams, which every process unit would pay for.
if (threadInfo().isMainThread && process.send !== undefined && claimUnit()) startChild()

function startChild(): void {
  // First, before any user code: the child must not outlive its parent (child-guard.ts).
  guardChild()
  const send = process.send?.bind(process)
  if (send === undefined) throw new Error('@conc/multiprocessing: the child entry must be started by fork()')

  // The parent is gone: a child never outlives it. This needs the event loop to turn; the guard
  // (child-guard.ts) does not, and this stays for a child whose guard could not be armed.
  process.on('disconnect', () => process.exit(process.exitCode ?? 1))

  const listeners: ((message: WireMessage) => void)[] = []
  // The pipe for plain messages, as lines of JSON (wire-pipe.ts; node:net is loaded already, for
  // the IPC channel).
  const { Socket } = process.getBuiltinModule('node:net')
  const pipe = new Socket({ fd: PIPE_FD, readable: true, writable: true })
  const wireOut = new WireOut((message, done) => void send(message as never, done), pipe)
  // Messages that came before anyone listened (a pool's `p.stop` to a worker still importing its
  // service): kept, in order, for the listeners, as a worker thread's port keeps them.
  let early: WireMessage[] | undefined = []
  const deliver = (message: WireMessage): void => {
    for (const listener of listeners) listener(message)
  }
  const channel: UnitChannel = {
    ident: process.pid,
    send: (message) => wireOut.send(message),
    onMessage(listener) {
      listeners.push(listener)
      if (listeners.length > 1) return
      // After this turn, so that every listener added in the same turn gets them too.
      setImmediate(() => {
        const queued = early ?? []
        early = undefined
        for (const message of queued) deliver(message)
      })
    },
    sendAndExit: (message, code) => wireOut.send(message, () => wireOut.flush(() => exitWhenWritten(code))),
    // The channel stops keeping the process alive, but messages still arrive: the replies to
    // requests it forwards for its own children (which keep it alive until they end) come on it.
    release() {
      ;(process.channel as { unref?: () => void } | undefined)?.unref?.()
    },
  }

  let initialised = false
  const wireIn = new WireIn((message) => {
    if (!initialised) {
      initialised = true
      void runUnit(message, channel)
    } else if (isWireMessage(message)) {
      if (early !== undefined) early.push(message)
      else deliver(message)
    }
  }, pipe)
  process.on('message', (message: unknown) => wireIn.receive(message))
}

/**
 * Exits with `code` once what this process wrote to its standard output and error has been handed
 * over: `process.exit()` drops writes still queued for a pipe its reader has not emptied (a
 * reader that is slow, as `| tee` or a log shipper can be), and a pool worker ends this way when
 * its pool stops it. (The pool ends a worker that takes longer than its grace period to stop.)
 */
function exitWhenWritten(code: number): void {
  let pending = 0
  const written = (): void => {
    if (--pending === 0) process.exit(code)
  }
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.writableLength > 0 && !stream.destroyed) {
      pending++
      // Called once this empty write, queued after the others, is done: the others are too.
      stream.write('', written)
    }
  }
  if (pending === 0) process.exit(code)
}
