/**
 * Shared memory that every thread of this process can read, for what Python keeps in module
 * globals that all its threads see: the table of live threads (`threading.enumerate()`) and the
 * named blocks of `SharedMemory`.
 *
 * The main thread creates it (at the first thread started, or the first `SharedMemory`) and puts
 * it in the worker threads' environment data (`setEnvironmentData`), which Node clones into every
 * worker started afterwards, and which each worker passes on to the workers it starts: a
 * `SharedArrayBuffer` stays shared through that clone. Kept on `globalThis` under a registered
 * symbol, so two copies of @conc in one thread agree.
 */

/** The environment-data key, and the symbol of this thread's copy. */
const KEY = '@conc/process-shared'
const kShared = Symbol.for(KEY)

export interface ProcessShared {
  /** The live threads (thread-registry.ts). */
  readonly threads: SharedArrayBuffer
  /** The names of `SharedMemory` blocks (shm-directory.ts). */
  readonly shmDirectory: SharedArrayBuffer
  /** The memory of every `SharedMemory` block. */
  readonly shmArena: SharedArrayBuffer
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
