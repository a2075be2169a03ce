/** Whether `value` has a callable `then`: what `await` and a promise's `resolve` adopt instead of keeping. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
}
