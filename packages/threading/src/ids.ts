/** Python's `threading.get_ident()` and `threading.get_native_id()`. */
import { currentUnit } from '@conc/core'
import { Thread } from './thread.js'

/**
 * The calling thread's identifier (Python's `threading.get_ident()`): its `threadId`, the same as
 * `currentThread().ident` (0 in the main thread). Unique among the live threads of the process.
 *
 * @example
 * ```ts
 * console.log(getIdent()) // 0 in the main thread, n in worker thread n
 * ```
 */
export function getIdent(): number {
  return currentUnit('thread', Thread).ident ?? 0
}

let nativeId: number | undefined

/**
 * The operating system's id of the calling thread (Python's `threading.get_native_id()`). On
 * Linux, the kernel's thread id (read from `/proc/thread-self`: what `ps -L` and `top -H` show;
 * the main thread's equals the process id). Elsewhere Node exposes no thread id, and it returns
 * {@link getIdent}: still distinct for every live thread of the process.
 *
 * @example
 * ```ts
 * console.log(getNativeId()) // e.g. 48213
 * ```
 */
export function getNativeId(): number {
  if (nativeId !== undefined) return nativeId
  try {
    const link = process.getBuiltinModule('node:fs').readlinkSync('/proc/thread-self')
    const tid = Number(/\/task\/(\d+)$/.exec(link)?.[1])
    if (Number.isInteger(tid) && tid > 0) return (nativeId = tid)
  } catch {
    // not Linux
  }
  return (nativeId = getIdent())
}
