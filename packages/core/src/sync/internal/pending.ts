/**
 * A write a child process makes without waiting (a `Value` assignment) still reaches the owner
 * in order and is awaited before the unit finishes (see client.ts); a failure is reported here.
 */
export function track(promise: Promise<unknown>): void {
  promise.catch((error: unknown) => {
    process.emitWarning(`a write to a shared value failed: ${(error as Error)?.message ?? String(error)}`, { code: 'CONC_SHARED_WRITE' })
  })
}
