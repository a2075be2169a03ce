/**
 * The Redis keys and channel @conc uses beside BullMQ's own, under the same prefix and queue name
 * (so a Redis Cluster hash tag in the queue name keeps them on one node).
 */

/** How long a cancel marker is kept: it must outlive any wait for the job to start again. */
export const CANCEL_MARKER_TTL_MS = 60 * 60 * 1000

export interface Keys {
  /** BullMQ's events stream of the queue. */
  readonly events: string
  /** BullMQ's hash of a job. */
  job(id: string): string
  /** Set when a client cancels a job; a host checks it when the job starts. */
  cancel(id: string): string
  /** Where cancels are published (the message is the job id). */
  readonly cancelChannel: string
}

export function keys(prefix: string, queue: string): Keys {
  const base = `${prefix}:${queue}`
  return {
    events: `${base}:events`,
    job: (id) => `${base}:${id}`,
    cancel: (id) => `${base}:conc:cancel:${id}`,
    cancelChannel: `${base}:conc:cancel`,
  }
}
