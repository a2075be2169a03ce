import type { TransferListItem } from 'node:worker_threads'
import { HEARD, POSTED, WAKE_KEY, WAKE_WORDS } from './wake.js'
import { UNIT_ARG, ensureThreadRegistry, isPendingUnit, registerThread, serializeThrown, threadEnded, unitEntry, unitExecArgv, type UnitBackend, type UnitHandle, type UnitMessage } from '@conc/core'

/** The file a new thread runs: the entry file, or the bundle. See ARCHITECTURE.md, "Bundled applications". */
const workerEntry = (): URL => unitEntry(new URL('./entry/worker.js', import.meta.url), import.meta.url)
// A thread started on a bundle: run the unit once the bundle has loaded.
if (isPendingUnit()) void import('./entry/worker.js')

/** Set once a worker refused this program's flags given explicitly (see spawn). */
let refusedFlags = false

/** Worker threads as a @conc backend: a unit is a `Worker` running the core unit runtime. */
export const threadBackend: UnitBackend = {
  kind: 'thread',
  unitNoun: 'worker thread',
  sharesMemory: true,
  spawn(init, { daemon }): UnitHandle {
    // `workerData` is cloned here, synchronously: an argument that cannot be cloned throws
    // before any thread exists.
    // node:worker_threads is loaded here, not when @conc/threading is imported (see core's
    // internal/thread-info.ts): in a main thread it pulls in Node's streams.
    const { Worker } = process.getBuiltinModule('node:worker_threads')
    // The table of live threads exists before the first worker, which inherits it (enumerate()).
    ensureThreadRegistry()
    // The wake word (see entry/worker.ts): bumped and notified after every message to the thread;
    // beside it the heard word, bumped for every message this thread takes from the worker, and
    // the posted word, which the worker bumps after every message it posts (wake.ts).
    const wake = new Int32Array(new SharedArrayBuffer(WAKE_WORDS * 4))
    const options = { workerData: { ...init, [WAKE_KEY]: wake }, argv: [UNIT_ARG] }
    // The lazy public modules' export condition where it is safe (core's internal/unit-conditions.ts).
    const execArgv = refusedFlags ? undefined : unitExecArgv(init)
    let worker: InstanceType<typeof Worker>
    try {
      worker = new Worker(workerEntry(), execArgv === undefined ? options : { ...options, execArgv })
    } catch (error) {
      // A flag of this program that a worker refuses when given explicitly (--max-old-space-size,
      // --expose-gc, ...): inherit them instead, without the condition, from now on.
      if (execArgv === undefined || (error as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error
      refusedFlags = true
      worker = new Worker(workerEntry(), options)
    }
    const seq = registerThread(worker.threadId, init.name, init.daemon)
    worker.once('exit', () => threadEnded(seq))
    // Threads have no signals; a stopped thread reports the signal a process would have got.
    let stoppedWith: NodeJS.Signals | null = null
    const messageListeners: ((message: UnitMessage) => void)[] = []
    worker.on('message', (message: UnitMessage) => {
      Atomics.add(wake, HEARD, 1)
      for (const listener of messageListeners) listener(message)
    })
    // A message that could not be deserialized here was taken all the same (see the heard word).
    worker.on('messageerror', () => Atomics.add(wake, HEARD, 1))
    // An error the runtime could not catch (the entry itself failed to load).
    worker.on('error', (error) => {
      const message: UnitMessage = { t: 'uncaught', error: serializeThrown(error) }
      for (const listener of messageListeners) listener(message)
    })
    // After the listeners: adding a 'message' listener refs the worker again.
    if (daemon) worker.unref()
    const stop = (signal: NodeJS.Signals): void => {
      stoppedWith ??= signal
      void worker.terminate()
    }
    return {
      id: worker.threadId,
      send(message, transfer) {
        worker.postMessage(message, transfer as TransferListItem[] | undefined)
        Atomics.add(wake, 0, 1)
        Atomics.notify(wake, 0, 1)
      },
      onMessage: (listener) => void messageListeners.push(listener),
      onExit: (listener) => void worker.once('exit', (code) => listener(stoppedWith ? { code: null, signal: stoppedWith } : { code, signal: null })),
      terminate: () => stop('SIGTERM'),
      kill: () => stop('SIGKILL'),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      posted: { word: wake, index: POSTED },
    }
  },
  whyNotSendable(value) {
    try {
      structuredClone(value)
      return undefined
    } catch (error) {
      return (error as Error).message
    }
  },
}
