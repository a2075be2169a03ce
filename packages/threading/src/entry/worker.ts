/**
 * Entry of every worker thread @conc starts: a channel over `parentPort`, then the core runtime.
 * In an application bundle this code is loaded in every thread, so it runs only in a thread that
 * @conc started as a unit (`claimUnit()`).
 */
import { parentPort, receiveMessageOnPort, threadId, workerData, type TransferListItem } from 'node:worker_threads'
import { SpinBackoff, claimUnit, runUnit, type UnitChannel, type WireMessage } from '@conc/core/unit'
import { HEARD, POSTED, WAKE_KEY } from '../wake.js'

/** How often a spin reads the clock, in ms (see `clockEvery`). */
const CLOCK_EVERY_MS = 0.004
/** Reads of the wake word between two reads of the clock in a spin, adapted to CLOCK_EVERY_MS. */
let clockEvery = 256
/**
 * How long a spin waits for the parent to take the thread's last reply before it gives up the CPU
 * (and the spins after it are skipped for a while: core's SpinBackoff).
 */
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
  const channel: UnitChannel = {
    ident: threadId,
    send(message, transfer) {
      port.postMessage(message, transfer as TransferListItem[] | undefined)
      sent = (sent + 1) | 0
      // After the post: a parent that sees the word move finds the message waiting (wake.ts).
      if (wake !== undefined) Atomics.add(wake, POSTED, 1)
    },
    onMessage(listener) {
      if (listeners.length === 0) port.on('message', deliver)
      listeners.push(listener)
    },
    sendAndExit(message, code) {
      port.postMessage(message)
      if (wake !== undefined) Atomics.add(wake, POSTED, 1)
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
    /** Spins the parent did not answer make the next ones skipped (core's executor/spin-backoff.ts). */
    const backoff = new SpinBackoff()
    /**
     * Waits up to `timeoutMs` for the parent's next message without a turn of the event loop
     * (`Atomics.wait` on the wake word, which the parent bumps after each message), then hands
     * every message waiting on the port to the listeners, synchronously. Returns how many it
     * handed over (0: none came in time). See core's pool-worker for when it is safe to block.
     * With `spinMs`, it first watches the word for up to that long (within `timeoutMs`) without
     * sleeping: a message that comes meanwhile is taken without the kernel waking this thread
     * (core's executor/idle-spin.ts). The spin ends sooner when the parent has not taken this
     * thread's last reply within HEARD_WITHIN_MS, and does not start while spins are skipped after
     * such misses (core's executor/spin-backoff.ts).
     */
    channel.waitMessage = (timeoutMs, spinMs = 0) => {
      const until = performance.now() + timeoutMs
      if (spinMs > 0 && !backoff.skip()) {
        // A message posted after the word was last read may be waiting already: take it first.
        if (Atomics.load(wake, 0) !== seen) {
          const n = drain()
          // Not a spin that paid: on one CPU, the program ran before this thread got here.
          if (n > 0) return n
        }
        const spinStart = performance.now()
        const spinUntil = Math.min(until, spinStart + spinMs)
        // The parent has taken every message this thread posted: it runs, and the spin may last.
        let heard = false
        // The clock is read once every `clockEvery` reads of the word: Node's performance.now()
        // allocates (an array a call), and a spin that read it on every read of the word made the
        // worker collect its young generation every few tasks, a collection that could delay
        // the next reply. A read of the word takes 5-30 ns (optimized or not): `clockEvery`
        // adapts so that the clock is read every 2-8 µs.
        let last = spinStart
        spinning: for (;;) {
          for (let turn = 0; turn < clockEvery; turn++) {
            if (Atomics.load(wake, 0) !== seen) {
              backoff.caught()
              break spinning
            }
          }
          const now = performance.now()
          if (now - last < CLOCK_EVERY_MS / 2) clockEvery = Math.min(clockEvery * 2, 4096)
          else if (now - last > CLOCK_EVERY_MS * 2) clockEvery = Math.max(clockEvery >> 1, 16)
          last = now
          if (now >= spinUntil) break
          if (!heard) {
            const behind = (sent - Atomics.load(wake, HEARD)) | 0
            // The parent took more than this thread counted (a task posted to parentPort itself):
            // count from there.
            if (behind < 0) sent = (sent - behind) | 0
            heard = behind <= 0
            // A parent that has not taken the reply within HEARD_WITHIN_MS may be waiting for this
            // very CPU (the kernel can queue its wake-up behind the spinning thread, and keep the
            // two threads on one CPU for thousands of calls): the spin stops and the thread
            // sleeps, giving it up, and skips its next spins (SpinBackoff).
            if (!heard && now - spinStart >= HEARD_WITHIN_MS) {
              // A message that came since the word was last read: taken above, not a miss.
              if (Atomics.load(wake, 0) !== seen) continue
              backoff.missed()
              break
            }
          }
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
