/**
 * A short lock over a process-wide table in shared memory (the thread table, the shared-memory
 * directory): word 0 of `i32` is the mutex. Held for a few synchronous steps only; a holder stopped
 * in the middle (a terminated worker) is overtaken after half a second rather than blocking every
 * thread.
 */
export function locked<T>(i32: Int32Array, fn: () => T): T {
  const me = 1 + Math.floor(Math.random() * 0x7ffffffe)
  let since: number | undefined
  for (let spins = 0; ; spins++) {
    const holder = Atomics.compareExchange(i32, 0, 0, me)
    if (holder === 0) break
    if (spins < 100) continue
    since ??= performance.now()
    if (performance.now() - since > 500 && Atomics.compareExchange(i32, 0, holder, me) === holder) break
    Atomics.wait(i32, 0, holder, 1)
  }
  try {
    return fn()
  } finally {
    Atomics.store(i32, 0, 0)
    Atomics.notify(i32, 0, 1)
  }
}
