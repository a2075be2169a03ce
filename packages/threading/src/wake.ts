/**
 * The wake word of a worker thread: an `Int32Array` on shared memory that the parent bumps and
 * notifies (`Atomics.notify`) after each message it posts to the thread. A thread with nothing
 * to do may then wait for its next message with `Atomics.wait` and read it with
 * `receiveMessageOnPort`, without a turn of its event loop (piscina's idle path): see
 * entry/worker.ts and core's pool-worker.
 *
 * Its second slot, the *heard* word, counts the messages the parent has taken from the thread
 * (bumped by the parent's listener, never notified): a thread that spins after a reply learns
 * from it whether the parent is running yet (entry/worker.ts). Its third, the *posted* word,
 * counts the messages the thread has posted to the parent (bumped by the thread after each post,
 * never notified): the parent watches it for a reply before its event loop sleeps (core's
 * executor/reply-hold.ts).
 */

/** The key of the wake word in the thread's `workerData`, next to the unit's init fields. */
export const WAKE_KEY = '$wake'

/** The index of the heard word in the wake array (the wake word is index 0). */
export const HEARD = 1

/** The index of the posted word in the wake array. */
export const POSTED = 2

/** The wake array's length: the wake, heard and posted words. */
export const WAKE_WORDS = 3
