/** Python's `multiprocessing.connection.wait`. */
import { ConcTypeError } from '../errors.js'
import { setLongTimeout, timeoutToMs } from '../internal/timeout.js'
import { show } from '../internal/validate.js'
import { type Waitable, isWaitable, kPoll } from './transport.js'

async function readyNow<T extends Waitable>(objects: readonly T[]): Promise<T[]> {
  const ready = await Promise.all(objects.map((object) => object[kPoll](0, undefined)))
  return objects.filter((_, i) => ready[i])
}

/**
 * Waits until at least one of `objects` is ready, or `timeout` seconds pass, and resolves to the
 * ready ones, in the order given (Python's `multiprocessing.connection.wait`). A connection is
 * ready when it has a message to read or its peer has closed it (a `recv()` would not wait); a
 * sentinel (`Process.sentinel`, `Thread.sentinel`) when its unit has ended. Takes connections of
 * both kinds: `Pipe()` ends and socket connections. `timeout` `undefined`/`null` waits as long as
 * it takes; on timeout the result is empty.
 *
 * @throws {OSError} when a connection is closed or write-only
 * @example
 * ```ts
 * import { connection } from '@conc/multiprocessing'
 *
 * for (;;) {
 *   for (const conn of await connection.wait(clients)) console.log(await conn.recv())
 * }
 * ```
 */
export async function wait<T extends Waitable>(objects: Iterable<T>, timeout?: number | null): Promise<T[]> {
  const list = [...objects]
  for (const object of list) {
    if (!isWaitable(object)) throw new ConcTypeError(`wait() takes connections and sentinels, got ${show(object)}`)
  }
  const ms = timeoutToMs(timeout)
  const deadline = ms === undefined ? undefined : performance.now() + ms
  let ready = await readyNow(list)
  while (ready.length === 0 && list.length > 0) {
    const left = deadline === undefined ? undefined : deadline - performance.now()
    if (left !== undefined && left <= 0) break
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    try {
      const polls = list.map((object) => object[kPoll](undefined, controller.signal))
      for (const poll of polls) poll.catch(() => {}) // the losers reject with the abort
      const expired = left === undefined ? [] : [new Promise<boolean>((resolve) => (timer = setLongTimeout(() => resolve(false), left)))]
      await Promise.race([...polls, ...expired])
    } finally {
      if (timer !== undefined) clearTimeout(timer)
      controller.abort()
    }
    ready = await readyNow(list)
  }
  return ready
}
