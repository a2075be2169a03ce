/** One worker of a pool, as the engine tracks it. */
import type { UnitHandle } from '../backend.js'
import { replyHold, type ReplyHold } from './reply-hold.js'
import type { StopMessage } from './protocol.js'
import type { Task } from './task.js'

/** Tasks sent to a worker in one message. */
export interface Batch {
  readonly id: number
  readonly tasks: Task[]
  /** Tasks not answered yet (a batch's replies come in order, each covering the next tasks). */
  left: number
  /** What its tasks were expected to take, in ms, when it was sent (their functions' measured cost; 0 unknown). */
  readonly ms: number
}

export class Slot {
  /** The initializer ran; the worker takes tasks. */
  ready = false
  /** Batches sent and not fully answered, oldest first. */
  readonly batches: Batch[] = []
  /** Tasks sent and not answered. */
  inflight = 0
  /** Function ids this worker has been told about. */
  readonly known = new Set<number>()
  /** A task that may be stopped by ending this worker runs here alone. */
  exclusive = false
  /** The pool ended this worker on purpose: its exit is not a crash. */
  leaving = false
  /** An error the worker reported before it ended. */
  uncaught: unknown = undefined
  /** The worker was told that its payloads are big (`g` of a batch; internal/big-blocks.ts). */
  toldBig = false
  /**
   * When the worker began its first batch, as the pool sees it (`performance.now()`): when the
   * batch went to it with nothing before it, or when the reply to the batch before came. With
   * the batches' expected cost it says when the worker is expected to be free (WorkerPool #offer).
   */
  since = 0

  /** Watches for the worker's reply to a short call sent alone (reply-hold.ts; threads). */
  readonly hold: ReplyHold | undefined

  constructor(
    readonly handle: UnitHandle,
    /** Tasks it may still take (`maxTasksPerChild`). */
    public remaining: number,
    /** Whether the pool's only work is one call (ReplyHold's `alone`). */
    alone: () => boolean,
  ) {
    this.hold = replyHold(handle.posted, alone)
  }

  get id(): number {
    return this.handle.id
  }

  /** Started, and nothing sent to it that it has not answered: it can take a task now. */
  get idle(): boolean {
    return this.ready && this.available && this.batches.length === 0
  }

  /** Can take a batch now. */
  get available(): boolean {
    return !this.leaving && !this.exclusive && this.remaining > 0
  }

  /**
   * Whether this worker keeps the program alive: while the pool has work. A worker being ended
   * stays ref'd whatever the pool's state, until its exit has been observed: someone may be
   * waiting for that exit (`join()`, `shutdown()`), and an unref'd unit lets the event loop
   * empty under that wait, so the program would stop at the `await`.
   */
  keepAlive(on: boolean): void {
    if (this.leaving) return
    if (on) this.handle.ref()
    else this.handle.unref()
  }

  /**
   * Ends the worker: at once (`force`: killed where it is), or as a normal stop: the worker is
   * asked to finish (`p.stop`) and ends by itself with exit code 0, so that the primitives it was
   * given see a normal end, not a death (a `Barrier` stays whole); a worker that has not ended
   * {@link STOP_GRACE_MS} later (the user's code keeps its event loop busy) is terminated. Its exit
   * is expected either way.
   */
  end(force: boolean): void {
    if (this.#killed || (this.leaving && !force)) return
    this.leaving = true
    this.handle.ref()
    if (force) {
      // Also a worker already asked to stop: `terminate()` after `close()` does not wait for it.
      this.#killed = true
      clearTimeout(this.#grace)
      this.handle.kill()
      return
    }
    this.handle.send(STOP)
    this.#grace = setTimeout(() => this.handle.terminate(), STOP_GRACE_MS)
    this.#grace.unref()
  }

  /** Ends the worker now with SIGTERM (a thread is stopped where it is): `terminateWorkers()`. */
  terminate(): void {
    if (this.#killed) return
    this.#killed = true
    this.leaving = true
    this.handle.ref()
    clearTimeout(this.#grace)
    this.handle.terminate()
  }

  /**
   * The worker said it stopped (`p.stopped`): its work is done and it only hands over what it
   * wrote to its standard output and error before it exits. It is not ended for a slow reader of
   * its output (as Python's pool waits for its workers); `terminate()` still ends it at once.
   */
  stopped(): void {
    clearTimeout(this.#grace)
  }

  /** The worker's exit was observed. */
  exited(): void {
    clearTimeout(this.#grace)
  }

  #grace: NodeJS.Timeout | undefined
  #killed = false
}

/** How long a worker asked to stop may take to end by itself before it is terminated. */
export const STOP_GRACE_MS = 2000
const STOP: StopMessage = { t: 'p.stop' }
