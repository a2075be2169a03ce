/**
 * Entry of every worker thread @conc starts: a channel over `parentPort`, then the core runtime.
 * In an application bundle this code is loaded in every thread, so it runs only in a thread that
 * @conc started as a unit (`claimUnit()`).
 */
import { parentPort, threadId, workerData, type TransferListItem } from 'node:worker_threads'
import { claimUnit, runUnit, type UnitChannel } from '@conc/core/unit'

const port = parentPort
if (port !== null && claimUnit()) {
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
  // Not awaited: in a bundle, the unit imports this very file, which must finish loading first.
  void runUnit(workerData, channel)
}
