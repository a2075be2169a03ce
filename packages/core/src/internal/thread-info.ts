/**
 * `isMainThread` and `threadId` without loading `node:worker_threads` where it is not loaded yet.
 *
 * Loading that module in a process's main thread pulls in Node's streams (about 25 built-in
 * modules, several ms), which importing @conc should not cost. A worker thread has it loaded
 * already, with the worker plumbing Node's worker bootstrap needs; so when none of those modules
 * is in `process.moduleLoadList` this is a main thread, whose `threadId` is 0. Whenever that is
 * not certain (one of them is loaded, or the list is not there), the module itself answers.
 *
 * @module
 */

interface ThreadInfo {
  readonly isMainThread: boolean
  readonly threadId: number
}

const MAIN: ThreadInfo = { isMainThread: true, threadId: 0 }

/** Loaded in every worker thread by Node's bootstrap (`worker_thread_only` nowhere else). */
const WORKER_MODULES = ['worker_threads', 'internal/worker/io', 'internal/process/worker_thread_only'].map((m) => `NativeModule ${m}`)

function certainlyMainThread(): boolean {
  const list = (process as { moduleLoadList?: unknown }).moduleLoadList
  return Array.isArray(list) && !WORKER_MODULES.some((m) => list.includes(m))
}

let known: ThreadInfo | undefined

/** This thread: whether it is a main thread, and its id (0 in a main thread). Never changes. */
export function threadInfo(): ThreadInfo {
  if (known !== undefined) return known
  if (certainlyMainThread()) return (known = MAIN)
  const { isMainThread, threadId } = process.getBuiltinModule('node:worker_threads')
  return (known = { isMainThread, threadId })
}
