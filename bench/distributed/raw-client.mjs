// The raw BullMQ program's client side, hand-written as the BullMQ docs suggest: Queue.addBulk to
// submit, one QueueEvents to hear 'completed'/'failed', a map from job id to a promise. Jobs are
// removed by BullMQ as they complete (removeOnComplete).
import { Queue, QueueEvents } from 'bullmq'

export class RawClient {
  #seq = 0
  #pending = new Map()

  constructor(redis, name) {
    const connection = { host: '127.0.0.1', port: redis.port }
    this.queue = new Queue(name, { connection })
    this.events = new QueueEvents(name, { connection: { ...connection, maxRetriesPerRequest: null } })
    this.events.on('completed', ({ jobId, returnvalue }) => {
      const p = this.#pending.get(jobId)
      if (p === undefined) return
      this.#pending.delete(jobId)
      p.resolve(typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue)
    })
    this.events.on('failed', ({ jobId, failedReason }) => {
      const p = this.#pending.get(jobId)
      if (p === undefined) return
      this.#pending.delete(jobId)
      p.reject(new Error(failedReason))
    })
  }

  async ready() {
    await this.queue.waitUntilReady()
    await this.events.waitUntilReady()
  }

  /** Adds `jobs` ({ name, data }) in one addBulk; resolves with their results, in order. */
  async run(jobs) {
    const results = []
    const bulk = jobs.map(({ name, data }) => {
      const jobId = `r${++this.#seq}`
      results.push(new Promise((resolve, reject) => this.#pending.set(jobId, { resolve, reject })))
      return { name, data, opts: { jobId, removeOnComplete: true, removeOnFail: true } }
    })
    await this.queue.addBulk(bulk)
    return Promise.all(results)
  }

  /** One job with Queue.add; resolves with its result. */
  async one(name, data) {
    const jobId = `r${++this.#seq}`
    const result = new Promise((resolve, reject) => this.#pending.set(jobId, { resolve, reject }))
    await this.queue.add(name, data, { jobId, removeOnComplete: true, removeOnFail: true })
    return result
  }

  async close() {
    await this.events.close()
    await this.queue.close()
  }
}
