/**
 * Entry of every worker thread @conc starts: a channel over `parentPort`, then the core runtime.
 */
import { parentPort, threadId, workerData, type TransferListItem } from 'node:worker_threads'
import { runUnit, type UnitChannel } from '@conc/core/unit'

const port = parentPort
if (port === null) throw new Error('@conc/threading: the worker entry must run in a worker thread')

const channel: UnitChannel = {
  ident: threadId,
  send: (message, transfer) => port.postMessage(message, transfer as TransferListItem[] | undefined),
  onMessage: (listener) => void port.on('message', listener),
  sendAndExit(message, code) {
    port.postMessage(message)
    process.exit(code)
  },
  release: () => port.unref(),
}

await runUnit(workerData, channel)
