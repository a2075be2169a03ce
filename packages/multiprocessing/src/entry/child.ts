/**
 * Entry of every child process @conc starts: a channel over the IPC pipe, then the core runtime.
 */
import { isWireMessage, runUnit, type UnitChannel, type WireMessage } from '@conc/core/unit'
import { guardChild } from './child-guard.js'

guardChild()

const send = process.send?.bind(process)
if (send === undefined) throw new Error('@conc/multiprocessing: the child entry must be started by fork()')

// The parent is gone: a child never outlives it. The guard (child-guard.ts) kills this process
// before this runs; this stays for a child started without one, at its next turn of the loop.
process.on('disconnect', () => process.exit(process.exitCode ?? 1))

const listeners: ((message: WireMessage) => void)[] = []
const channel: UnitChannel = {
  ident: process.pid,
  send: (message) => void send(message),
  onMessage: (listener) => void listeners.push(listener),
  sendAndExit: (message, code) => void send(message, () => process.exit(code)),
  release() {
    process.removeAllListeners('message')
    ;(process.channel as { unref?: () => void } | undefined)?.unref?.()
  },
}

let initialised = false
process.on('message', (message: unknown) => {
  if (!initialised) {
    initialised = true
    void runUnit(message, channel)
  } else if (isWireMessage(message)) {
    for (const listener of listeners) listener(message)
  }
})
