/**
 * Entry of every worker thread @conc starts: a channel over `parentPort`, then the core runtime.
 * In an application bundle this code is loaded in every thread, so it runs only in a thread that
 * @conc started as a unit (`claimUnit()`).
 */
import { parentPort, receiveMessageOnPort, threadId, workerData, type TransferListItem } from 'node:worker_threads'
import { claimUnit, runUnit, type UnitChannel, type WireMessage } from '@conc/core/unit'
import { HEARD, WAKE_KEY } from '../wake.js'

/** Reads of the wake word between two reads of the clock in a spin (~30 ns each: ~8 µs apart). */
const SPIN_TURNS = 256
/** How long a spin waits for the parent to take the thread's last reply before it gives up the CPU. */
const HEARD_WITHIN_MS = 0.03

const port = parentPort
if (port !== null && claimUnit()) {
  const wake = (workerData as { [WAKE_KEY]?: Int32Array })[WAKE_KEY]
  const listeners: ((message: WireMessage) => void)[] = []
  const deliver = (message: WireMessage): void => {
    for (const listener of listeners) listener(message)
  }
  /** The wake word's value when the port was last read. */
  let seen = 0
  /** Messages posted to the parent (the parent counts those it takes in the heard word). */
  let sent = 0
  const channel: UnitChannel & { waitMessage?(timeoutMs: number, spinMs?: number): number } = {
    ident: threadId,
    send(message, transfer) {
      port.postMessage(message, transfer as TransferListItem[] | undefined)
      sent = (sent + 1) | 0
    },
    onMessage(listener) {
      if (listeners.length === 0) port.on('message', deliver)
      listeners.push(listener)
    },
    sendAndExit(message, code) {
      port.postMessage(message)
      process.exit(code)
    },
    release: () => port.unref(),
  }
  if (wake !== undefined) {
    /** Takes every message waiting on the port, after reading the word (a later post bumps it again). */
    const drain = (): number => {
      seen = Atomics.load(wake, 0)
      let n = 0
      for (let entry = receiveMessageOnPort(port); entry !== undefined; entry = receiveMessageOnPort(port)) {
        n++
        deliver(entry.message as WireMessage)
      }
      return n
    }
    /**
     * Waits up to `timeoutMs` for the parent's next message without a turn of the event loop
     * (`Atomics.wait` on the wake word, which the parent bumps after each message), then hands
     * every message waiting on the port to the listeners, synchronously. Returns how many it
     * handed over (0: none came in time). See core's pool-worker for when it is safe to block.
     * With `spinMs`, it first watches the word that long (within `timeoutMs`) without sleeping: a
     * message that comes meanwhile is taken without the kernel waking this thread (core's
     * executor/idle-spin.ts).
     */
    channel.waitMessage = (timeoutMs, spinMs = 0) => {
      const until = performance.now() + timeoutMs
      if (spinMs > 0) {
        // A message posted after the word was last read may be waiting already: take it first.
        if (Atomics.load(wake, 0) !== seen) {
          const n = drain()
          if (n > 0) return n
        }
        const spinStart = performance.now()
        const spinUntil = Math.min(until, spinStart + spinMs)
        // The parent has taken every message this thread posted: it runs, and the spin may last.
        let heard = false
        // The clock is read once every SPIN_TURNS turns: Node's performance.now() allocates (an
        // array a call), and a spin that read it every turn (~30 ns) made the worker collect its
        // young generation every few tasks, a collection that could delay the next reply.
        spinning: for (;;) {
          for (let turn = 0; turn < SPIN_TURNS; turn++) if (Atomics.load(wake, 0) !== seen) break spinning
          const now = performance.now()
          if (now >= spinUntil) break
          // A parent that has not taken the reply within HEARD_WITHIN_MS may be waiting for this
          // very CPU (the kernel can queue its wake-up behind the spinning thread, on 2 cores
          // about one reply in a hundred): the spin stops and the thread sleeps, giving it up.
          if (!heard && !(heard = ((sent - Atomics.load(wake, HEARD)) | 0) <= 0) && now - spinStart >= HEARD_WITHIN_MS) break
        }
      }
      for (;;) {
        // A word that moved during the spin: no wait.
        const waited = Atomics.load(wake, 0) !== seen ? 'not-equal' : Atomics.wait(wake, 0, seen, Math.max(0, until - performance.now()))
        const n = drain()
        // The word also counts messages the event loop delivered already: wait again for the rest.
        if (n > 0 || waited === 'timed-out' || performance.now() >= until) return n
      }
    }
  }
  // Not awaited: in a bundle, the unit imports this very file, which must finish loading first.
  void runUnit(workerData, channel)
}
