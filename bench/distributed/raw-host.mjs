// A hand-written BullMQ worker host, the raw peer of `conc-worker`: one BullMQ Worker with the same
// concurrency and lock settings as conc-worker's defaults. `inline` runs the processor on the
// Worker's event loop (the fastest for no-op jobs); `threads` runs it sandboxed in worker threads
// (BullMQ's way to run CPU-bound jobs without stalling the lock renewal); `hop` hands each job's
// name and data to one of `concurrency` worker threads of its own with a bare `postMessage` and
// takes the result back the same way: the least any host pays to keep the task off the Worker's
// event loop (no error handling, no cancellation: a measurement, not a design).
// Arguments: host port queue concurrency inline|threads|hop
import { Worker } from 'bullmq'
import { Worker as Thread } from 'node:worker_threads'
import processor from './raw-processor.mjs'

const [host, port, queue, concurrency, mode] = process.argv.slice(2)

/** `hop`: a processor that runs raw-processor.mjs in a free thread of its own. */
function hopProcessor() {
  const source = `import { parentPort } from 'node:worker_threads'
import processor from ${JSON.stringify(new URL('./raw-processor.mjs', import.meta.url).href)}
parentPort.on('message', async (job) => parentPort.postMessage(await processor(job)))`
  const free = Array.from({ length: Number(concurrency) }, () => new Thread(new URL(`data:text/javascript,${encodeURIComponent(source)}`)))
  return (job) => {
    const thread = free.pop()
    return new Promise((resolve) => {
      thread.once('message', (result) => {
        free.push(thread)
        resolve(result)
      })
      thread.postMessage({ name: job.name, data: job.data })
    })
  }
}

const worker = new Worker(queue, mode === 'threads' ? new URL('./raw-processor.mjs', import.meta.url) : mode === 'hop' ? hopProcessor() : processor, {
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
