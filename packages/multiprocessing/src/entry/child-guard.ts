/**
 * The child's half of the no-orphans rule (the parent's is `../orphan-guard.ts`). It runs first in
 * the child entry, before any user code, and reads how the parent guarded this child:
 *
 * - `pdeathsig:<pid>`: the kernel sends SIGKILL when the parent's forking thread ends. A parent
 *   that died before `setpriv` armed the signal has left this process to another parent and no
 *   signal will come, so exit now if the parent is no longer the one that forked us. Nothing else
 *   runs and nothing else is paid.
 * - `lifeline:<fd>`: start the watchdog, a small worker thread with its own event loop, which
 *   waits for the end of the lifeline pipe and then kills this process with SIGKILL, as the kernel
 *   would, even if its main thread is stuck in a loop that never yields.
 *
 * @module
 */
const GUARD_ENV = 'CONC_ORPHAN_GUARD' // set by ../orphan-guard.ts

const WATCHDOG = `
const { workerData } = require('node:worker_threads')
const { Socket } = require('node:net')
const lifeline = new Socket({ fd: workerData.fd, readable: true, writable: false })
const kill = () => process.kill(process.pid, 'SIGKILL')
lifeline.on('end', kill).on('close', kill).on('error', () => {})
lifeline.resume()
`

/** Arms the guard the parent chose, and removes its trace from this process's environment. */
export function guardChild(): void {
  const guard = process.env[GUARD_ENV]
  delete process.env[GUARD_ENV]
  if (guard === undefined) return
  const [kind, value] = guard.split(':')
  if (kind === 'pdeathsig') {
    if (process.ppid !== Number(value)) process.exit(1)
  } else if (kind === 'lifeline') {
    // If the watchdog cannot start (a permission model that forbids workers, say), the
    // disconnect handler of the child entry is what is left.
    try {
      // Loaded only here: with `pdeathsig`, a child never loads node:worker_threads (and streams).
      const threads = process.getBuiltinModule('node:worker_threads')
      const watchdog = new threads.Worker(WATCHDOG, {
        eval: true,
        workerData: { fd: Number(value) },
        env: threads.SHARE_ENV,
        // Not the program's flags (a loader such as tsx would load again in this thread for nothing).
        execArgv: [],
      })
      watchdog.on('error', () => {})
      watchdog.unref()
    } catch {
      // see above
    }
  }
}
