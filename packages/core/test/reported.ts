/** What Node reports about errors nobody handled, for tests of promises that must not (or must) report. */

/** The unhandled rejections and uncaught exceptions Node reports while `act` runs and in the 20 ms after it. */
export async function reportedDuring(act: () => void): Promise<{ unhandled: unknown[]; uncaught: unknown[] }> {
  const unhandled: unknown[] = []
  const uncaught: unknown[] = []
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
  const onUncaught = (error: unknown): void => void uncaught.push(error)
  // vitest's own listeners would fail the run on what this test expects: set aside meanwhile.
  const theirs = process.listeners('uncaughtException')
  process.removeAllListeners('uncaughtException')
  process.on('unhandledRejection', onUnhandled)
  process.on('uncaughtException', onUncaught)
  try {
    act()
    await new Promise((resolve) => setTimeout(resolve, 20))
  } finally {
    process.off('unhandledRejection', onUnhandled)
    process.off('uncaughtException', onUncaught)
    for (const listener of theirs) process.on('uncaughtException', listener)
  }
  return { unhandled, uncaught }
}
