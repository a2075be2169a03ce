/**
 * Shared memory that every thread of this process can read, for what Python keeps in module
 * globals that all its threads see: the table of live threads (`threading.enumerate()`), the
 * named blocks of `SharedMemory`, and the process's counters (default unit names, owner ids).
 *
 * The main thread creates it (at the first thread started, or the first `SharedMemory`) and puts
 * it in the worker threads' environment data (`setEnvironmentData`), which Node clones into every
 * worker started afterwards, and which each worker passes on to the workers it starts: a
 * `SharedArrayBuffer` stays shared through that clone. Kept on `globalThis` under a registered
 * symbol, so two copies of @conc in one thread agree.
 */

import { context } from './context.js'

/** The environment-data key, and the symbol of this thread's copy. */
const KEY = '@conc/process-shared'
const kShared = Symbol.for(KEY)
const COUNTERS = { thread: 0, process: 1, owner: 2 } as const

export interface ProcessShared {
  /** The live threads (thread-registry.ts). */
  readonly threads: SharedArrayBuffer
  /** The names of `SharedMemory` blocks (shm-directory.ts). */
  readonly shmDirectory: SharedArrayBuffer
  /** The memory of every `SharedMemory` block. */
  readonly shmArena: SharedArrayBuffer
  /** The counters of {@link nextNumber}. */
  readonly counters: SharedArrayBuffer
  /** This process's identity among the program's processes (`[1]` in Process-1, `[]` in the program). */
  readonly identity: readonly number[]
}

type Growable = new (length: number, options: { maxByteLength: number }) => SharedArrayBuffer

/** A growable buffer reserving up to `max` bytes, less where the system refuses that much. */
export function growable(initial: number, max: number): SharedArrayBuffer {
  for (let reserve = max; ; reserve = Math.floor(reserve / 2)) {
    try {
      return new (SharedArrayBuffer as unknown as Growable)(Math.min(initial, reserve), { maxByteLength: reserve })
    } catch (error) {
      if (reserve <= initial) throw error
    }
  }
}

const KiB = 1024
const MiB = 1024 * KiB

/** Each table starts small and grows in place up to its reservation (zeroed memory is empty). */
function create(): ProcessShared {
  return {
    threads: growable(64 * KiB, 16 * MiB),
    shmDirectory: growable(64 * KiB, 16 * MiB),
    // Address space only: memory is used as blocks are created.
    shmArena: growable(0, 2 ** 32),
    counters: new SharedArrayBuffer(4 * Object.keys(COUNTERS).length),
    identity: context.unit?.kind === 'process' ? [...context.unit.identity] : [],
  }
}

function holder(): Record<symbol, ProcessShared | undefined> {
  return globalThis as unknown as Record<symbol, ProcessShared | undefined>
}

/**
 * This process's shared tables: inherited from the thread that started this one, else created
 * here (`make`), else `undefined`.
 */
export function processShared(make: boolean): ProcessShared | undefined {
  const known = holder()[kShared]
  if (known !== undefined) return known
  const workers = process.getBuiltinModule('node:worker_threads')
  const inherited = workers.getEnvironmentData(KEY) as ProcessShared | undefined
  if (inherited !== undefined) return (holder()[kShared] = inherited)
  if (!make) return undefined
  const made = create()
  workers.setEnvironmentData(KEY, made)
  return (holder()[kShared] = made)
}

let counters: Int32Array | undefined

/**
 * The next number of `which` in this process, whichever thread asks, as Python counts per process:
 * default names (`Thread-N`, `Process-N`) and the owner ids a primitive's state gives remote units
 * (two threads serving processes of their own must not hand out the same id for one state).
 */
export function nextNumber(which: keyof typeof COUNTERS): number {
  const memory = (processShared(true) as ProcessShared).counters
  if (counters?.buffer !== memory) counters = new Int32Array(memory)
  return Atomics.add(counters, COUNTERS[which], 1) + 1
}

/**
 * The identity of the process this thread runs in, which the identities of the processes it
 * starts extend (`Process-1:2`), from any of its threads, as Python's do.
 */
export function processIdentity(): readonly number[] {
  const unit = context.unit
  if (unit === undefined) return []
  if (unit.kind === 'process') return unit.identity
  return processShared(false)?.identity ?? []
}
