/**
 * Waiting, before a unit ends, for work its own children's ends scheduled (recovering what they
 * held): that work waits on timers that do not keep a program alive (`unref`), so the unit keeps
 * its event loop alive meanwhile. Without that, a unit with nothing else left to do ended first,
 * and what its dead child held was never recovered.
 *
 * @module
 */

/** Resolves once `pending` is empty (promises added meanwhile included), keeping the event loop alive until then. */
export async function drain(pending: Set<Promise<unknown>>): Promise<void> {
  if (pending.size === 0) return
  const alive = setInterval(() => undefined, 1 << 30)
  try {
    while (pending.size > 0) await Promise.allSettled([...pending])
  } finally {
    clearInterval(alive)
  }
}
