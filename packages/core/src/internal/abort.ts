/**
 * One 'abort' listener per `AbortSignal`, however many waits and tasks share the signal.
 *
 * Programs pass one signal to many calls (an app-wide shutdown signal, `AbortSignal.timeout()`
 * given to a whole batch of `submitWith`). A listener per call makes Node print
 * `MaxListenersExceededWarning: Possible EventTarget memory leak detected` from the eleventh on,
 * although every listener is removed when its call ends. Here the signal carries one listener,
 * which calls the callbacks registered through {@link onAbort}, in order; it is removed when the
 * last callback is.
 */

interface Registered {
  readonly callbacks: Set<() => void>
  readonly listener: () => void
}

const registry = new WeakMap<AbortSignal, Registered>()

/**
 * Calls `callback` once when `signal` aborts; the returned function unregisters it (idempotent).
 * A signal already aborted calls nothing: callers check `signal.aborted` first. The same function
 * registered twice is called twice, as two listeners would be.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let entry = registry.get(signal)
  if (entry === undefined) {
    const callbacks = new Set<() => void>()
    const listener = (): void => {
      registry.delete(signal)
      let failed: { error: unknown } | undefined
      // As an EventTarget does: one unregistered by an earlier one is not called.
      for (const fn of [...callbacks]) {
        if (!callbacks.delete(fn)) continue
        try {
          fn()
        } catch (error) {
          failed ??= { error }
        }
      }
      // As from an event listener of its own: reported as uncaught, after every callback ran.
      if (failed !== undefined) throw failed.error
    }
    entry = { callbacks, listener }
    registry.set(signal, entry)
    signal.addEventListener('abort', listener, { once: true })
  }
  const { callbacks, listener } = entry
  const registration = (): void => callback()
  callbacks.add(registration)
  return () => {
    if (!callbacks.delete(registration) || callbacks.size > 0) return
    if (registry.get(signal)?.callbacks === callbacks) registry.delete(signal)
    signal.removeEventListener('abort', listener)
  }
}

/** `promise`, or a rejection with `signal.reason` if it aborts first; the callback is removed after. */
export async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  let offAbort: (() => void) | undefined
  const abort = new Promise<never>((_, reject) => {
    offAbort = onAbort(signal, () => reject(signal.reason))
  })
  try {
    return await Promise.race([promise, abort])
  } finally {
    offAbort?.()
  }
}
