// A hand-written BullMQ worker host, the raw peer of `conc-worker`: one BullMQ Worker with the same
// concurrency and lock settings as conc-worker's defaults. `inline` runs the processor on the
// Worker's event loop (the fastest for no-op jobs); `threads` runs it sandboxed in worker threads
// (BullMQ's way to run CPU-bound jobs without stalling the lock renewal).
// Arguments: host port queue concurrency inline|threads
import { Worker } from 'bullmq'
import processor from './raw-processor.mjs'

const [host, port, queue, concurrency, mode] = process.argv.slice(2)
const worker = new Worker(queue, mode === 'threads' ? new URL('./raw-processor.mjs', import.meta.url) : processor, {
  connection: { host, port: Number(port), maxRetriesPerRequest: null },
  concurrency: Number(concurrency),
  lockDuration: 5000,
  stalledInterval: 2000,
  useWorkerThreads: mode === 'threads',
})
worker.on('error', (error) => console.error(`raw-host: ${error.message}`))
await worker.waitUntilReady()
console.log(`raw-host: serving queue '${queue}'`)
const stop = async () => {
  await worker.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
