// Task of diag/long-task-gaps.mjs: spins `ms`, and says when it started and ended (process.hrtime,
// in µs: one monotonic clock for every thread and process) and in which worker.
import { threadId } from 'node:worker_threads'

export function stamp(ms) {
  const start = process.hrtime.bigint()
  const until = start + BigInt(Math.round(ms * 1e6))
  let end
  do end = process.hrtime.bigint()
  while (end < until)
  return [Number(start / 1000n), Number(end / 1000n), threadId === 0 ? process.pid : threadId]
}
