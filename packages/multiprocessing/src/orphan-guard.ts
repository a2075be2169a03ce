/**
 * The parent's half of the no-orphans rule: a child must not outlive the process, nor the thread,
 * that started it, even one killed with SIGKILL, and even while its own event loop never turns.
 * The child's half is `entry/child-guard.ts`; the two agree through the `CONC_ORPHAN_GUARD`
 * variable, which the child removes before any user code runs.
 *
 * - Linux with `setpriv`: the child runs under `setpriv --pdeathsig KILL`, and the kernel kills it
 *   when the thread that forked it ends, which is when the whole process dies or, from a worker
 *   thread, when that thread ends (whose `Process` objects die with it). Nothing runs in the child.
 * - Elsewhere (macOS, a Linux without `setpriv`, or `CONC_NO_PDEATHSIG` set): the child gets a
 *   lifeline, a pipe on fd 5 that nothing is ever written to. The parent's end closes when the
 *   forking thread's handles close or the process dies; a watchdog thread in the child sees the
 *   end of the pipe and kills its process.
 *
 * @module
 */
import type { ChildProcess, ForkOptions, StdioOptions } from 'node:child_process'
import type { Socket } from 'node:net'

/** `pdeathsig:<parent pid>` or `lifeline:<fd>`; read (and removed) by entry/child-guard.ts. */
const GUARD_ENV = 'CONC_ORPHAN_GUARD'
/** After fds 0 to 4 (stdio, the IPC channel, the pipe for plain messages: wire-pipe.ts). */
const LIFELINE_FD = 5

let setpriv: string | null | undefined
function findSetpriv(): string | null {
  if (setpriv !== undefined) return setpriv
  setpriv = null
  if (process.platform === 'linux' && process.env.CONC_NO_PDEATHSIG === undefined) {
    for (const candidate of ['/usr/bin/setpriv', '/bin/setpriv']) {
      try {
        const fs = process.getBuiltinModule('node:fs')
        fs.accessSync(candidate, fs.constants.X_OK)
        setpriv = candidate
        break
      } catch {
        // not there
      }
    }
  }
  return setpriv
}

/**
 * `fork(modulePath, args, options)` with the child guarded against outliving its parent.
 * `options.stdio` must name fds 0 to 4 (with the IPC channel); the lifeline, when there is one,
 * is fd 5.
 */
export function forkGuarded(modulePath: string, args: readonly string[], options: ForkOptions): ChildProcess {
  // Loaded here, not when @conc/multiprocessing is imported (see process-backend.ts).
  const { fork } = process.getBuiltinModule('node:child_process')
  const wrapper = findSetpriv()
  if (wrapper !== null) {
    return fork(modulePath, args, {
      ...options,
      env: { ...(options.env ?? process.env), [GUARD_ENV]: `pdeathsig:${process.pid}` },
      execPath: wrapper,
      execArgv: ['--pdeathsig', 'KILL', '--', options.execPath ?? process.execPath, ...(options.execArgv ?? process.execArgv)],
    })
  }
  const { stdio } = options
  if (!Array.isArray(stdio) || stdio.length !== LIFELINE_FD) throw new Error('@conc/multiprocessing: fds 0 to 4 must be given, the lifeline is fd 5')
  const child = fork(modulePath, args, {
    ...options,
    stdio: [...(stdio as unknown[]), 'pipe'] as StdioOptions,
    env: { ...(options.env ?? process.env), [GUARD_ENV]: `lifeline:${LIFELINE_FD}` },
  })
  const lifeline = (child.stdio as unknown as (Socket | null | undefined)[])[LIFELINE_FD]
  if (lifeline) {
    // It must never keep this program alive (the child and its channel do that), and once the
    // child has exited it has no use: a process the child started may hold its end open.
    lifeline.unref()
    lifeline.on('error', () => {})
    child.once('exit', () => lifeline.destroy())
  }
  return child
}
