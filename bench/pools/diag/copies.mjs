/**
 * Diagnosis (b)/(c): 1 MiB (or --size) echo tasks on @conc or piscina with N outstanding; prints
 * the rate and the main thread's event-loop utilization (how much of the time the main thread
 * was busy: serializing, deserializing, settling). With SCRATCH_TRACE=1 in a scratch copy, the
 * engine and the workers print how the tasks were batched.
 *
 *   node bench/pools/diag/copies.mjs conc-thread|conc-process|piscina|tinypool-process [size] [tasks] [outstanding] [move]
 *
 * `CONC_NO_ALLOCATOR_HINT=1` in the environment shows @conc without its allocator hint
 * (packages/core/src/internal/big-blocks.ts): glibc trimming its heaps, fresh pages for every copy.
 */
import { readFileSync } from 'node:fs'
import { open } from '../libraries.mjs'

/** Minor page faults of this process so far (all its threads; not its children). */
const minflt = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7])

const [id = 'conc-thread', sizeArg = '1048576', tasksArg = '512', outArg = '64', moveArg] = process.argv.slice(2)
const size = Number(sizeArg)
const total = Number(tasksArg)
const outstanding = Number(outArg)
const move = moveArg === 'move'
const pool = await open(id, 'binary', 2)
const ring = Array.from({ length: 16 }, (_, k) => new Uint8Array(size).fill(k))

function windowed(n, window, call) {
  return new Promise((resolve, reject) => {
    let next = 0
    let done = 0
    const launch = () => {
      const i = next++
      call(i).then((v) => {
        if (v.byteLength !== size || v[0] !== (move ? i & 0xff : i % 16)) reject(new Error('wrong'))
        done++
        if (next < n) launch()
        else if (done === n) resolve()
      }, reject)
    }
    for (let k = 0; k < Math.min(window, n); k++) launch()
  })
}
const call = move ? (i) => pool.runMove(new Uint8Array(size).fill(i & 0xff)) : (i) => pool.run('echoBytes', ring[i % 16])
await windowed(128, 64, call)
for (let r = 0; r < 3; r++) {
  globalThis.gc?.()
  const elu0 = performance.eventLoopUtilization()
  const cpu0 = process.cpuUsage()
  const f0 = minflt()
  const t = performance.now()
  await windowed(total, outstanding, call)
  const ms = performance.now() - t
  const elu = performance.eventLoopUtilization(elu0)
  const cpu = process.cpuUsage(cpu0)
  const faults = minflt() - f0
  console.log(`${id} ${size} B × ${total}, ${outstanding} outstanding${move ? ', transferred' : ''}: ${((total / ms) * 1000).toFixed(0)} tasks/s, ${(ms / total).toFixed(2)} ms per task; main thread busy ${(elu.utilization * 100).toFixed(0)}% (${(elu.active / total).toFixed(2)} ms per task); this process's CPU (user + sys, all threads) ${((cpu.user + cpu.system) / 1000 / total).toFixed(2)} ms per task (sys ${(cpu.system / 1000 / total).toFixed(2)}), ${(faults / total).toFixed(0)} minor page faults per task`)
}
// With SCRATCH_TRACE=1 (scratch copy) the workers print their trace after 300 ms idle.
if (process.env.SCRATCH_TRACE === '1') await new Promise((resolve) => setTimeout(resolve, 500))
await pool.close()
