// The raw BullMQ program's processor, used inline (imported by raw-host.mjs) or sandboxed in a
// worker thread (BullMQ loads this file with useWorkerThreads): runs the job's task.
import { cpu, noop } from './tasks.mjs'

export default async function processor(job) {
  if (job.name === 'chunk') return job.data.xs.map(noop)
  if (job.name === 'cpu') return cpu(job.data.x)
  return noop(job.data.x)
}
