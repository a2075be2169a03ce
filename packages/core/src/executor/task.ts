/**
 * A task as the pool engine sees it, and the queue it waits in. One object per task; what the
 * task settles (a future, a slot of a map result) is reached through a shared `sink`, so the hot
 * path allocates no closures.
 */
import type { TransferListItem } from '../backend.js'
import type { Encoded } from '../internal/shared-codec.js'
import type { FnEntry } from './function-registry.js'
import type { Offer } from './future.js'
import type { TaskMode } from './protocol.js'

export const QUEUED = 0
export const RUNNING = 1
export const SETTLED = 2
/** Sent to a busy worker thread, which runs it only if it claims it first (worker-pool.ts). */
export const OFFERED = 3

/** How a task reports back; one shared object per kind of target. */
export interface TaskSink {
  /** The task is about to be sent; return false to drop it (it was cancelled). */
  start(task: Task): boolean
  resolve(task: Task, value: unknown): void
  reject(task: Task, error: unknown): void
  /** The task was withdrawn before it started (abort signal, `cancelFutures`). */
  cancel(task: Task, reason: unknown): void
  /**
   * Calls `fn` when the task's target is cancelled by its owner (`future.cancel()`), for engines
   * that must withdraw a task which has left this program. Absent when the target cannot be.
   */
  onCancel?(task: Task, fn: () => void): void
  /**
   * The task is about to be offered to a busy worker (worker-pool.ts), instead of `start`; false
   * to drop it (it was cancelled). `offer` is what its target asks on `cancel()` and `running()`.
   * Absent: `start` is called (a target with no running state).
   */
  offer?(task: Task, offer: Offer): boolean
  /** The worker claimed the offered task: it runs now. */
  claimed?(task: Task): void
  /** The offer was taken back: the task is queued again. */
  unoffer?(task: Task): void
}

/** What only some tasks have: kept out of {@link Task} so the common task stays small. */
export interface TaskExtra {
  signal: AbortSignal | undefined
  timeoutMs: number | undefined
  transfer: readonly TransferListItem[] | undefined
  /** Unregisters the task's abort callback (see internal/abort.ts). */
  offAbort: (() => void) | undefined
  timer: ReturnType<typeof setTimeout> | undefined
  /** The worker running this task, for tasks that run alone (abortable, timed). */
  slot: unknown
}

export class Task {
  state: typeof QUEUED | typeof RUNNING | typeof SETTLED | typeof OFFERED = QUEUED
  extra: TaskExtra | undefined = undefined
  /** Its arguments as they travel, when they carry primitives (task-args.ts). */
  shared: Encoded<unknown> | undefined = undefined

  constructor(
    readonly fn: FnEntry,
    readonly mode: TaskMode,
    readonly payload: unknown,
    readonly sink: TaskSink,
    readonly target: unknown,
    readonly index: number,
  ) {}

  /** Sets the per-task options; a task with a signal or a timeout runs alone on its worker. */
  configure(options: { readonly signal?: AbortSignal | undefined; readonly timeoutMs?: number | undefined; readonly transfer?: readonly TransferListItem[] | undefined }): this {
    const { signal, timeoutMs, transfer } = options
    if (signal === undefined && timeoutMs === undefined && transfer === undefined) return this
    this.extra = { signal, timeoutMs, transfer, offAbort: undefined, timer: undefined, slot: undefined }
    return this
  }

  /** Tasks that can be stopped by ending their worker run alone on it. */
  get exclusive(): boolean {
    return this.extra !== undefined && (this.extra.signal !== undefined || this.extra.timeoutMs !== undefined)
  }
}

/** A FIFO of tasks; cheap push/shift for hundreds of thousands of entries. */
export class TaskQueue {
  #items: (Task | undefined)[] = []
  #head = 0

  get size(): number {
    return this.#items.length - this.#head
  }

  push(task: Task): void {
    this.#items.push(task)
  }

  peek(): Task | undefined {
    return this.#items[this.#head]
  }

  /** Puts `task` back at the head (an offer taken back: it was the oldest). */
  unshift(task: Task): void {
    if (this.#head > 0) this.#items[--this.#head] = task
    else this.#items.unshift(task)
  }

  shift(): Task | undefined {
    if (this.#head >= this.#items.length) return undefined
    const task = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return task
  }

  /**
   * Whether at least `n` tasks still wait to be sent (cancelled ones stay in the queue until they
   * reach its head); looks at no more than `n` + 64 entries, and says false past them.
   */
  liveAtLeast(n: number): boolean {
    if (this.size < n) return false
    let live = 0
    const end = Math.min(this.#items.length, this.#head + n + 64)
    for (let i = this.#head; i < end; i++) if ((this.#items[i] as Task).state === QUEUED && ++live >= n) return true
    return false
  }

  /** Removes and returns every queued task. */
  takeAll(): Task[] {
    const all = this.#items.slice(this.#head) as Task[]
    this.#items = []
    this.#head = 0
    return all
  }
}
