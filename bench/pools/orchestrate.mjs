/**
 * Runs one workload on one backend: one driver process per contender, all opened (and warmed up)
 * first, then round after round, each round running every contender once, one at a time, in an
 * order that rotates by one each round. Every contender is measured in the same rounds; a
 * contender that fails (wrong result, crash, timeout) is marked and dropped from later rounds.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { CONTENDERS } from './libraries.mjs'

const DRIVER = fileURLToPath(new URL('./driver.mjs', import.meta.url))
const OPEN_TIMEOUT_MS = 180_000
const RUN_TIMEOUT_MS = 300_000

function startDriver() {
  const child = fork(DRIVER, [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let pending
  let exited = false
  child.on('message', (message) => {
    const p = pending
    pending = undefined
    p?.resolve(message)
  })
  child.on('exit', (code, signal) => {
    exited = true
    const p = pending
    pending = undefined
    p?.reject(new Error(`driver exited (code ${code}, signal ${signal})`))
  })
  return {
    request(message, timeoutMs) {
      if (exited) return Promise.reject(new Error('driver has exited'))
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending = undefined
          child.kill('SIGKILL')
          reject(new Error(`no answer within ${timeoutMs / 1000} s`))
        }, timeoutMs)
        pending = {
          resolve: (m) => {
            clearTimeout(timer)
            if (m.op === 'error') reject(new Error(m.error))
            else resolve(m)
          },
          reject: (e) => {
            clearTimeout(timer)
            reject(e)
          },
        }
        child.send(message)
      })
    },
    async close() {
      if (exited) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.send({ op: 'close' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await gone
      clearTimeout(timer)
    },
    kill() {
      if (!exited) child.kill('SIGKILL')
    },
  }
}

/**
 * Measures `ids` on `workload` for `rounds` rounds. Returns the raw figures:
 * { workload, backend, rounds, orders, contenders: [{ id, role, label, config, samples: { metric: [per round] }, error }] }.
 */
export async function runGroup({ workload, backend, ids, rounds, workers, log }) {
  const entries = ids.map((id) => ({ id, role: CONTENDERS[id].role, label: CONTENDERS[id].label, config: '', samples: {}, error: undefined }))
  const drivers = new Map()
  // Opened one after another: start-up is not measured, but several pools starting at once on two
  // cores would make each warm-up slow and the first round colder.
  for (const entry of entries) {
    const driver = startDriver()
    drivers.set(entry.id, driver)
    try {
      const ready = await driver.request({ op: 'open', id: entry.id, workloadId: workload.id, workers }, OPEN_TIMEOUT_MS)
      entry.config = ready.config
    } catch (error) {
      entry.error = `open: ${error.message}`
      driver.kill()
      log(`  ${entry.label}: failed to open: ${error.message}`)
    }
  }
  const orders = []
  for (let r = 0; r < rounds; r++) {
    const order = entries.map((_, k) => entries[(k + r) % entries.length])
    orders.push(order.map((e) => e.id))
    const line = []
    for (const entry of order) {
      if (entry.error !== undefined) continue
      try {
        const { metrics } = await drivers.get(entry.id).request({ op: 'run', round: r }, RUN_TIMEOUT_MS)
        for (const [key, value] of Object.entries(metrics)) (entry.samples[key] ??= []).push(value)
        line.push(`${entry.id} ${workload.metrics.map((m) => fmtShort(metrics[m.key])).join('/')}`)
      } catch (error) {
        entry.error = `round ${r + 1}: ${error.message}`
        drivers.get(entry.id).kill()
        log(`  ${entry.label}: failed in round ${r + 1}: ${error.message}`)
      }
    }
    log(`  round ${r + 1}/${rounds}: ${line.join(', ')}`)
  }
  await Promise.all([...drivers.values()].map((d) => d.close()))
  return { workload: workload.id, backend, rounds, orders, contenders: entries }
}

function fmtShort(x) {
  if (x === undefined) return '?'
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2)
}
