/**
 * Big payloads and the C allocator.
 *
 * Every copy of a big argument or result is a block of the C heap: V8's serialization buffer and
 * the backing store of the array buffer it is read into, on both sides of each message. glibc's
 * `malloc` gives blocks from 128 KiB up their own `mmap`, and raises that threshold to the size of
 * the largest such block freed so far (at most 32 MiB), with the point where it gives free memory
 * at the top of its heaps back to the system ("trim") at twice that. A pool carrying payloads of
 * 1 MiB thus ends up trimming at about 2 MiB: with many payloads in flight, the blocks freed by
 * each garbage collection are given back to the system, and the next copies fault fresh pages in
 * (tens of page faults per task, half of the time a 1 MiB round trip takes on worker threads).
 *
 * glibc learns from the largest block freed. When a pool first carries a payload of 128 KiB or
 * more, this module allocates one 30 MiB array buffer and drops it (its pages are never touched:
 * zeroed memory from `mmap` is not written); when a garbage collection frees it, glibc raises both
 * thresholds (about 30 MiB for its own `mmap`, 60 MiB to trim), as it would for a program that
 * had once freed a block that big. The cost is memory kept for reuse: up to about 60 MiB of free
 * memory at the top of each glibc heap (one per thread that allocates, up to 8 per core) stays
 * with the process instead of going back to the system, and blocks up to 30 MiB from any code
 * come from the heaps. Each thread that carries a big payload makes its own block: it is freed by
 * that thread's garbage collection, which is what teaches glibc. Measured on worker threads with
 * 64 payloads of 1 MiB in flight: 2.0–2.4× the tasks per second (bench/FINDINGS-pools.md). Other
 * C libraries ignore it.
 *
 * `CONC_NO_ALLOCATOR_HINT=1` (read at the first big payload) turns it off.
 */

/** Payloads this big (bytes) are blocks of their own for glibc before it learns (its default `mmap` threshold). */
export const BIG_PAYLOAD = 128 * 1024

/** Under glibc's 32 MiB cap on the thresholds it sets itself (with the block's header and page rounding). */
const HINT_BYTES = 30 * 1024 * 1024

let hinted = false
/** Not collected before the allocation is done (kept for a moment, then dropped). */
let block: ArrayBuffer | undefined

/** A payload of `bytes` crossed a pool's channel: the first big one tells the allocator (see above). */
export function bigPayload(bytes: number): void {
  if (hinted || bytes < BIG_PAYLOAD) return
  hinted = true
  if (process.env.CONC_NO_ALLOCATOR_HINT === '1') return
  try {
    block = new ArrayBuffer(HINT_BYTES)
  } catch {
    // Address space refused (a strict overcommit policy, a small ulimit -v): nothing to teach.
  }
  block = undefined
}

/** Whether this thread has told the allocator (or was told not to). */
export function allocatorHinted(): boolean {
  return hinted
}
