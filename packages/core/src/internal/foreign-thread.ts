/**
 * The `Thread` objects `enumerate()` gives for threads that another thread of the process started:
 * this thread has no runner object for them, so one is made over the shared thread table. Its
 * `name`, `isAlive()` and `join()` follow the real thread; `terminate()`/`kill()` do nothing, as
 * only the thread that started a thread can stop it.
 */
import type { RunnerState } from './runner-state.js'
import { setState } from './runner-state.js'
import { type ThreadRecord, renameThread, threadAlive, threadEnd, threadName } from './thread-registry.js'

const made = new Map<number, object>()

/** The object for the thread registered as `record.seq`: the same one on every call while it lives. */
export function foreignThread<T extends object>(RunnerClass: abstract new (...args: never[]) => T, record: ThreadRecord): T {
  const known = made.get(record.seq)
  if (known !== undefined) return known as T
  const runner = Object.create(RunnerClass.prototype as object) as T
  let name = record.name
  let exited: Promise<void> | undefined
  const s = {
    backend: undefined,
    kind: 'thread',
    daemon: record.daemon,
    target: undefined,
    args: [],
    caller: undefined,
    identity: [],
    current: false,
    ident: record.ident,
    exitCode: null,
    handle: undefined,
    uncaught: undefined,
    joiners: 0,
    get name(): string {
      name = threadName(record.seq) ?? name
      return name
    },
    set name(value: string) {
      name = value
      if (threadAlive(record.seq)) renameThread(record.ident, value)
    },
    get status(): RunnerState['status'] {
      return threadAlive(record.seq) ? 'started' : 'stopped'
    },
    set status(_: RunnerState['status']) {},
    get exited(): Promise<void> {
      exited ??= threadEnd(record.seq)
      return exited
    },
    set exited(_: Promise<void> | undefined) {},
  }
  setState(runner, s as unknown as RunnerState)
  made.set(record.seq, runner)
  return runner
}

/** Forgets the objects of threads that are no longer listed. */
export function forgetForeignThreads(live: ReadonlySet<number>): void {
  for (const seq of made.keys()) if (!live.has(seq)) made.delete(seq)
}
