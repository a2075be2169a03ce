/**
 * One contender of one workload, in its own process (own heap, own JIT), driven by pools.mjs over
 * IPC: `open` (build the inputs, start the pool, warm it up), then `run` once per round, then
 * `close`. Started with --expose-gc: the heap is collected before each round (unless the workload
 * says `collectBeforeRound: false`), so one round's garbage is not collected during the next
 * contender's round or this one's next round.
 */
import { configure, open } from './libraries.mjs'
import { WORKLOADS } from './workloads.mjs'

let pool
let workload
let state

const reply = (message) => new Promise((resolve) => process.send(message, resolve))
const describeError = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 400)

process.on('message', async (message) => {
  try {
    if (message.op === 'open') {
      const { id, workloadId, workers } = message
      workload = WORKLOADS.find((w) => w.id === workloadId)
      state = (await workload.prepare?.()) ?? {}
      pool = await open(id, workload.profile, workers)
      await workload.warmup(pool, state)
      await reply({ op: 'ready', config: configure(id, workload.profile, workers).note })
    } else if (message.op === 'run') {
      if (workload.collectBeforeRound !== false) globalThis.gc?.()
      const metrics = await workload.run(pool, state, message.round)
      await reply({ op: 'result', metrics })
    } else if (message.op === 'close') {
      await pool?.close()
      process.exit(0)
    }
  } catch (error) {
    await reply({ op: 'error', error: describeError(error) })
  }
})
