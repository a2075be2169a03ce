/**
 * Reads back where jobs are, for the client's reconciliation after a reconnection or when a job
 * has not been heard of for a while: the fields of each job's hash that say whether it finished
 * (BullMQ keeps `timestamp` from the add, `finishedOn` and `returnvalue` or `failedReason` once
 * done). One pipelined round trip for all of them.
 */
import type { Redis } from 'ioredis'
import type { Keys } from './keys.js'

export type JobState =
  | { readonly state: 'missing' }
  | { readonly state: 'pending' }
  | { readonly state: 'completed'; readonly returnvalue: unknown }
  | { readonly state: 'failed'; readonly reason: string }

/** The state of each job of `ids` (undefined where the read failed). */
export async function readJobs(commands: Redis, keys: Keys, ids: readonly string[]): Promise<(JobState | undefined)[]> {
  const pipeline = commands.pipeline()
  for (const id of ids) pipeline.hmget(keys.job(id), 'timestamp', 'finishedOn', 'returnvalue', 'failedReason')
  const replies = (await pipeline.exec()) ?? []
  return ids.map((_, i) => {
    const [error, fields] = replies[i] ?? [null, null]
    if (error !== null || !Array.isArray(fields)) return undefined
    const [timestamp, finishedOn, returnvalue, failedReason] = fields as (string | null)[]
    if (timestamp === null || timestamp === undefined) return { state: 'missing' }
    if (finishedOn !== null && finishedOn !== undefined && typeof returnvalue === 'string') return { state: 'completed', returnvalue: JSON.parse(returnvalue) }
    if (finishedOn !== null && finishedOn !== undefined && typeof failedReason === 'string') return { state: 'failed', reason: failedReason }
    return { state: 'pending' }
  })
}
