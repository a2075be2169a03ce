/**
 * Diagnosis (b): does a message carrying k payloads of 1 MiB cost k times one payload's message?
 * A raw worker echoes messages { a: [k × Uint8Array(1 MiB)] }; we time round trips per MiB, the
 * process's CPU per MiB and its minor page faults per MiB, for k = 1 … 16, interleaved.
 *
 *   node bench/pools/diag/message-size.mjs [rounds]
 */
import { readFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { deserialize, serialize } from 'node:v8'

const minflt = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7])
const MiB = 1 << 20
const rounds = Number(process.argv[2] ?? 5)
const TOTAL = 256 // MiB per measurement
const worker = new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m))`, { eval: true })
const ring = Array.from({ length: 16 }, (_, k) => new Uint8Array(MiB).fill(k))
const echo = (m) => new Promise((resolve) => { worker.once('message', resolve); worker.postMessage(m) })
const ks = [1, 2, 4, 8, 16]
const results = Object.fromEntries(ks.map((k) => [k, { rt: [], cpu: [], faults: [], ser: [], de: [] }]))
for (let r = 0; r < rounds; r++) {
  for (const k of ks.map((_, i) => ks[(i + r) % ks.length])) {
    const msg = { t: 'p.run', f: 1, m: 1, a: ring.slice(0, k) }
    // Round trips through a worker: 2 serializations + 2 deserializations per message.
    // Two messages in flight, like a pool with two workers busy.
    globalThis.gc?.()
    const cpu0 = process.cpuUsage()
    const f0 = minflt()
    let t = performance.now()
    for (let i = 0; i < TOTAL / k; i++) {
      const back = await echo(msg)
      if (back.a.length !== k || back.a[k - 1][0] !== k - 1) throw new Error('wrong')
    }
    const rtMs = performance.now() - t
    const cpu = process.cpuUsage(cpu0)
    results[k].rt.push(rtMs / TOTAL)
    results[k].cpu.push((cpu.user + cpu.system) / 1000 / TOTAL)
    results[k].faults.push((minflt() - f0) / TOTAL)
    // The same message through v8.serialize / deserialize in this thread only.
    t = performance.now()
    let buf
    for (let i = 0; i < TOTAL / k; i++) buf = serialize(msg)
    results[k].ser.push((performance.now() - t) / TOTAL)
    t = performance.now()
    for (let i = 0; i < TOTAL / k; i++) deserialize(buf)
    results[k].de.push((performance.now() - t) / TOTAL)
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
console.log('payloads per message | round trip ms per MiB | CPU ms per MiB (all threads) | minor faults per MiB | v8.serialize ms per MiB | v8.deserialize ms per MiB')
for (const k of ks) {
  const x = results[k]
  console.log(`${String(k).padStart(2)} | ${med(x.rt).toFixed(3)} | ${med(x.cpu).toFixed(3)} | ${med(x.faults).toFixed(0)} | ${med(x.ser).toFixed(3)} | ${med(x.de).toFixed(3)}`)
}
await worker.terminate()
