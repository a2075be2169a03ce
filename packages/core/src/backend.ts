/**
 * The backend seam. Core talks to an execution backend (worker threads, child processes, later a
 * remote engine) only through these interfaces; everything else is written once in core.
 *
 * @module
 */
import type { UnitInit, UnitMessage, WireMessage } from './internal/wire.js'

/**
 * What can be moved to a worker thread instead of copied: an `ArrayBuffer`, or another of
 * `node:worker_threads`' transferable objects (a `MessagePort`, a `FileHandle`, ...). Written
 * without Node's type declarations, so that a project without `@types/node` type-checks; so it
 * is structural: any object that is not a view. A view (`Uint8Array`, `DataView`) is refused at
 * compile time, as Node's own type does (it would fail with a DataCloneError at run time):
 * transfer its `.buffer`.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(1024)
 * executor.submitWith({ transfer: [bytes.buffer] }, work, bytes) // not `transfer: [bytes]`
 * ```
 */
export type TransferListItem = ArrayBuffer | (object & NotAView)

/** Anything but an `ArrayBuffer` view: views have a `buffer` and a `byteOffset`. */
export interface NotAView {
  readonly buffer?: never
  readonly byteOffset?: never
}

/** A signal's name (`'SIGTERM'`), as Node reports it. */
export type SignalName = `SIG${string}`

/** The two kinds of unit Python has. Core picks names, messages and exit-code rules by kind. */
export type UnitKind = 'thread' | 'process'

/** How a unit ended: an exit code, or the signal that ended it (emulated for threads). */
export interface UnitExit {
  readonly code: number | null
  readonly signal: SignalName | null
}

/** A started execution unit, as the backend exposes it to core. */
export interface UnitHandle {
  /** Thread id or process id, known as soon as the unit is started. */
  readonly id: number
  /** Every message the unit sends, in order. */
  onMessage(listener: (message: UnitMessage) => void): void
  /**
   * Sends a message to the unit. `transfer` lists `ArrayBuffer`s (and ports) to move instead of
   * copy where the backend can (threads); other backends copy them.
   */
  send(message: WireMessage, transfer?: readonly TransferListItem[]): void
  onExit(listener: (exit: UnitExit) => void): void
  /** Ask the unit to stop (SIGTERM for a process; a thread is stopped and reports SIGTERM). */
  terminate(): void
  /** Stop the unit at once (SIGKILL for a process; a thread is stopped and reports SIGKILL). */
  kill(): void
  /** Send SIGINT (`Process.interrupt()`); absent where units have no signals (threads). */
  interrupt?(): void
  /** Let the unit keep the program alive (`ref`) or not (`unref`). */
  ref(): void
  unref(): void
  /**
   * A word of memory shared with the unit that it bumps after each message it posts (threads),
   * so that the program can wait for a reply without its event loop sleeping
   * (executor/reply-hold.ts). Absent where nothing is shared (processes).
   */
  readonly posted?: { readonly word: Int32Array; readonly index: number } | undefined
}

/**
 * What a backend supplies: how to start a unit that runs core's unit runtime with an init
 * message, and how to tell whether a value can be sent to such a unit.
 */
export interface UnitBackend {
  readonly kind: UnitKind
  /** What a unit is called in messages: `'worker thread'`, `'child process'`. */
  readonly unitNoun: string
  /**
   * Starts a unit. Throws (synchronously, before anything is left running) when `init` cannot be
   * sent; core then reports which argument was at fault.
   */
  spawn(init: UnitInit, options: { readonly daemon: boolean }): UnitHandle
  /** Why `value` cannot be sent to a unit, or `undefined` when it can. */
  whyNotSendable(value: unknown): string | undefined
  /**
   * Units run in this program's process, so a `SharedArrayBuffer` in their init data reaches them
   * shared (threads); a pool then offers long tasks to busy workers (executor/worker-pool.ts).
   */
  readonly sharesMemory?: boolean
}
