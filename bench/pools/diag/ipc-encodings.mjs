/**
 * Diagnosis (d), processes: what one round trip to a forked child costs, by encoding and message
 * shape, one message in flight. Node's IPC channel with serialization 'advanced' (V8) or 'json',
 * for a bare number and for @conc's pool messages ({ t: 'p.run', f, m, a: [x] } and
 * { t: 'p.done', v: [x + 1], ms }); and a raw pipe (extra stdio fd) carrying length-prefixed
 * frames we serialize ourselves (JSON text or v8.serialize), with no IPC channel machinery.
 * Interleaved rounds; p50 and p99 in µs, and the parent's CPU per round trip.
 *
 *   node bench/pools/diag/ipc-encodings.mjs [calls] [rounds]
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { deserialize, serialize } from 'node:v8'

const calls = Number(process.argv[2] ?? 5000)
const rounds = Number(process.argv[3] ?? 5)
const child = fileURLToPath(new URL('./ipc-child.cjs', import.meta.url))

function viaIpc(serialization, shape, withCallback = false) {
  const proc = fork(child, ['ipc'], { serialization })
  let pending
  proc.on('message', (m) => pending(m))
  const noop = () => {}
  return {
    name: `IPC ${serialization === 'advanced' ? "'advanced' (V8)" : 'JSON'}, ${shape}${withCallback ? ", send(m, callback) as @conc's backend does" : ''}`,
    call: (x) => new Promise((resolve) => {
      pending = resolve
      const m = shape === 'number' ? x : { t: 'p.run', f: 1, m: 1, a: [x] }
      if (withCallback) proc.send(m, noop)
      else proc.send(m)
    }),
    check: (v, x) => (shape === 'number' ? v === x + 1 : v.v[0] === x + 1),
    close: () => proc.kill(),
  }
}

/** 'advanced' channel, but the pool messages travel as JSON text (one string for V8 to copy). */
function viaIpcJsonText() {
  const proc = fork(child, ['ipc-text'], { serialization: 'advanced' })
  let pending
  proc.on('message', (m) => pending(JSON.parse(m)))
  return {
    name: "IPC 'advanced' (V8), pool messages sent as JSON text (JSON.stringify / JSON.parse at both ends)",
    call: (x) => new Promise((resolve) => {
      pending = resolve
      proc.send(JSON.stringify({ t: 'p.run', f: 1, m: 1, a: [x] }))
    }),
    check: (v, x) => v.v[0] === x + 1,
    close: () => proc.kill(),
  }
}

function viaPipe(encoding) {
  const proc = fork(child, [`pipe-${encoding}`], { stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'ipc'] })
  const pipe = proc.stdio[3]
  const json = encoding === 'json'
  let pending
  let buffered = Buffer.alloc(0)
  pipe.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
    while (buffered.length >= 4) {
      const n = buffered.readUInt32LE(0)
      if (buffered.length < 4 + n) break
      const body = buffered.subarray(4, 4 + n)
      buffered = buffered.subarray(4 + n)
      pending(json ? JSON.parse(body.toString('utf8')) : deserialize(body))
    }
  })
  return {
    name: `raw pipe, frames of ${json ? 'JSON text' : 'v8.serialize bytes'}, pool messages`,
    call: (x) => new Promise((resolve) => {
      pending = resolve
      const m = { t: 'p.run', f: 1, m: 1, a: [x] }
      const body = json ? Buffer.from(JSON.stringify(m)) : serialize(m)
      const head = Buffer.allocUnsafe(4)
      head.writeUInt32LE(body.length, 0)
      pipe.write(Buffer.concat([head, body]))
    }),
    check: (v, x) => v.v[0] === x + 1,
    close: () => proc.kill(),
  }
}

const contenders = [
  viaIpc('advanced', 'number'),
  viaIpc('json', 'number'),
  viaIpc('advanced', 'pool messages'),
  viaIpc('advanced', 'pool messages', true),
  viaIpc('json', 'pool messages'),
  viaIpcJsonText(),
  viaPipe('v8'),
  viaPipe('json'),
]
await new Promise((resolve) => setTimeout(resolve, 500))
for (const c of contenders) for (let i = 0; i < 1000; i++) if (!c.check(await c.call(i), i)) throw new Error('wrong')
const stats = new Map(contenders.map((c) => [c, { p50: [], p99: [], cpu: [] }]))
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < contenders.length; k++) {
    const c = contenders[(k + r) % contenders.length]
    const samples = new Float64Array(calls)
    const cpu0 = process.cpuUsage()
    for (let i = 0; i < calls; i++) {
      const t = performance.now()
      const v = await c.call(i)
      samples[i] = (performance.now() - t) * 1000
      if (!c.check(v, i)) throw new Error(`wrong answer from ${c.name}`)
    }
    const cpu = process.cpuUsage(cpu0)
    samples.sort()
    const s = stats.get(c)
    s.p50.push(pct(samples, 50))
    s.p99.push(pct(samples, 99))
    s.cpu.push((cpu.user + cpu.system) / calls)
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
console.log('| transport and messages | p50 µs | p99 µs | parent CPU µs per round trip |\n| --- | ---: | ---: | ---: |')
for (const c of contenders) {
  const s = stats.get(c)
  console.log(`| ${c.name} | ${med(s.p50).toFixed(0)} | ${med(s.p99).toFixed(0)} | ${med(s.cpu).toFixed(1)} |`)
  c.close()
}
process.exit(0)
