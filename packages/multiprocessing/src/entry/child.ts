/**
 * Entry of every child process @conc starts: a channel over the IPC pipe, then the core runtime.
 */
import { runUnit, type UnitChannel } from '@conc/core/unit'
import { Process } from '../process.js'

const send = process.send?.bind(process)
if (send === undefined) throw new Error('@conc/multiprocessing: the child entry must be started by fork()')

// The parent is gone (even if it was SIGKILLed): a child never outlives it.
process.on('disconnect', () => process.exit(process.exitCode ?? 1))

const channel: UnitChannel = {
  ident: process.pid,
  send: (message) => void send(message),
  sendAndExit: (message, code) => void send(message, () => process.exit(code)),
  release() {
    process.removeAllListeners('message')
    ;(process.channel as { unref?: () => void } | undefined)?.unref?.()
  },
}

process.once('message', (init: unknown) => {
  void runUnit(init, channel, Process)
})
