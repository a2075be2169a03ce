// Benchmark: synchronization primitives, threads vs processes, beside the raw cost of a
// postMessage (worker_threads) and an IPC (child_process.fork) round trip measured in the same
// run. Not a test: it prints numbers and ratios. `pnpm bench:sync` from the repository root.
//
//   node bench/sync.mjs [--n 20000] [--json] [--only manager|remote]
// Threads run n operations per measurement (enough for the JIT to warm up: with 5 000, the
// figures were dominated by unoptimised code); processes, bound by IPC, run n / 4. The Manager
// line runs 7 interleaved rounds of n / 4 dict calls per unit kind against the same number of raw
// round trips of its transport (--only manager runs just that). The remote Manager line: a process
// connects to a manager served over TCP on 127.0.0.1, against a raw connection.Client round trip
// of the same number, in 5 interleaved rounds (--only remote).
//
// The targets below are exported: every unit imports this module again and finds them there,
// which is why the entry code is guarded with isMain(import.meta).
import { spawn } from 'node:child_process'
import { availableParallelism, cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import * as mp from '@conc/multiprocessing'
import * as th from '@conc/threading'

// ---- targets (run in units) ----------------------------------------------------------------

/** Uncontended: acquire + release `n` times; reports µs per pair. */
export async function lockLoop(lock, n, out) {
  for (let i = 0; i < 100; i++) await lock.acquire(), await lock.release()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    await lock.acquire()
    await lock.release()
  }
  await out.put(((performance.now() - t0) * 1000) / n)
}

/** Contended: `n` acquire + release pairs on a lock another unit hammers too; reports µs per pair. */
export async function contend(lock, n, start, out) {
  await start.wait()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    await lock.acquire()
    await lock.release()
  }
  await out.put(((performance.now() - t0) * 1000) / n)
}

/** Handoff ping-pong: `mine` is released for the peer, `theirs` acquired from it. */
export async function handoff(first, second, n, start, out, leader) {
  await start.wait()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    if (leader) {
      await first.release()
      await second.acquire()
    } else {
      await first.acquire()
      await second.release()
    }
  }
  if (leader) await out.put(((performance.now() - t0) * 1000) / (2 * n))
}

export async function produce(queue, n, start) {
  await start.wait()
  for (let i = 0; i < n; i++) await queue.put(i)
}

export async function consume(queue, n, start, out) {
  await start.wait()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await queue.get()
  await out.put(n / ((performance.now() - t0) / 1000))
}

/** A managed dict's round trip from a unit: `n` get and `n` set calls; reports µs per call. */
export async function managedLoop(d, n, out) {
  for (let i = 0; i < 500; i++) await d.set('k', i), await d.get('k')
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    await d.get('k')
    await d.set('k', i)
  }
  await out.put(((performance.now() - t0) * 1000) / (2 * n))
}

/** A remote manager's dict, from another process over TCP: connects, then as managedLoop. */
export async function remoteLoop(address, authkey, n, out) {
  const manager = await new mp.Manager({ address, authkey }).connect()
  const d = await manager.dict({ k: 0 })
  await managedLoop(d, n, out)
  await manager.shutdown()
}

/** Its raw peer: `n` round trips of a connection.Client to a listener that echoes. */
export async function rawConnectionLoop(address, authkey, n, out) {
  const conn = await mp.connection.Client(address, { authkey })
  const once = async () => {
    await conn.send({ t: 'ping', a: ['k'] })
    await conn.recv()
  }
  for (let i = 0; i < 500; i++) await once()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await once()
  await out.put(((performance.now() - t0) * 1000) / n)
  await conn.close()
}

// ---- raw round trips ------------------------------------------------------------------------

/** The ceiling: two workers handing a word back and forth with bare `Atomics`, spinning. */
const SPIN_PAIR = (me, other, n) => `const { workerData, parentPort } = require('node:worker_threads')
const i = new Int32Array(workerData)
for (let k = 0; k < 200; k++) { while (Atomics.load(i, 0) !== ${me}) {} Atomics.store(i, 0, ${other}) }
parentPort.postMessage('warm')
while (Atomics.load(i, 1) === 0) {}
const t0 = performance.now()
for (let k = 0; k < ${n}; k++) { while (Atomics.load(i, 0) !== ${me}) {} Atomics.store(i, 0, ${other}) }
parentPort.postMessage((performance.now() - t0) * 1000 / (2 * ${n}))`

async function rawAtomicsHandoff(n) {
  const sab = new SharedArrayBuffer(8)
  const workers = [new Worker(SPIN_PAIR(0, 1, n), { eval: true, workerData: sab }), new Worker(SPIN_PAIR(1, 0, n), { eval: true, workerData: sab })]
  const results = workers.map((worker) => new Promise((resolve) => worker.on('message', (m) => m !== 'warm' && resolve(m))))
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))))
  Atomics.store(new Int32Array(sab), 1, 1)
  const [us] = await Promise.all(results)
  return us
}

const ECHO_WORKER = `require('node:worker_threads').parentPort.on('message', function (m) { this.postMessage(m) })`
const ECHO_CHILD = `process.on('message', (m) => process.send(m))`

async function pingPong(send, onMessage, n) {
  let resolve
  onMessage(() => resolve())
  const once = () => new Promise((r) => { resolve = r; send({ t: 'ping' }) })
  for (let i = 0; i < 200; i++) await once()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await once()
  return ((performance.now() - t0) * 1000) / n
}

async function rawPostMessage(n) {
  const worker = new Worker(ECHO_WORKER, { eval: true })
  try {
    return await pingPong((m) => worker.postMessage(m), (fn) => worker.on('message', fn), n)
  } finally {
    await worker.terminate()
  }
}

async function rawIpc(n) {
  const child = spawn(process.execPath, ['-e', ECHO_CHILD], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
  try {
    return await pingPong((m) => child.send(m), (fn) => child.on('message', fn), n)
  } finally {
    child.kill()
  }
}

// ---- the primitives, per backend ----------------------------------------------------------

/** The median of `runs` measurements: the machine may be shared and noisy. */
async function median(runs, measureOnce) {
  const values = []
  for (let i = 0; i < runs; i++) values.push(await measureOnce())
  values.sort((a, b) => a - b)
  return values[values.length >> 1]
}

async function measure(lib, Unit, n) {
  const started = []
  const run = (target, ...args) => {
    const unit = new Unit({ target, args })
    unit.start()
    started.push(unit)
    return unit
  }
  const out = new lib.Queue()

  const uncontended = await median(3, async () => {
    run(lockLoop, new lib.Lock(), n, out)
    return out.get()
  })

  const contendedUs = await median(3, async () => {
    const lock = new lib.Lock()
    const go = new lib.Event()
    run(contend, lock, n, go, out)
    run(contend, lock, n, go, out)
    await new Promise((r) => setTimeout(r, 300))
    await go.set()
    return Math.max(await out.get(), await out.get())
  })

  const handoffUs = await median(5, async () => {
    const [first, second] = [new lib.Lock(), new lib.Lock()]
    await first.acquire()
    await second.acquire()
    const go = new lib.Event()
    run(handoff, first, second, n, go, out, true)
    run(handoff, first, second, n, go, out, false)
    await new Promise((r) => setTimeout(r, 300))
    await go.set()
    return out.get()
  })

  const perSecond = await median(3, async () => {
    const queue = new lib.Queue()
    const go = new lib.Event()
    const items = n * 2
    run(produce, queue, items, go)
    run(consume, queue, items, go, out)
    await new Promise((r) => setTimeout(r, 300))
    await go.set()
    return out.get()
  })

  await Promise.all(started.map((unit) => unit.join()))
  return { uncontendedUs: uncontended, contendedUs, handoffUs, queueItemsPerSecond: perSecond }
}

// ---- a Manager's dict, against the raw round trip of the same transport ---------------------

/**
 * The raw round trip as a managed call makes it: the unit sends, this thread answers, the unit
 * times `n` of them (after 500 to warm up) and reports µs per round trip.
 */
const PING_FROM_WORKER = (n) => `const { parentPort } = require('node:worker_threads')
let resolve
parentPort.on('message', () => resolve())
const once = () => new Promise((r) => { resolve = r; parentPort.postMessage({ t: 'ping', a: ['k'] }) })
;(async () => {
  for (let i = 0; i < 500; i++) await once()
  const t0 = performance.now()
  for (let i = 0; i < ${n}; i++) await once()
  parentPort.postMessage({ t: 'done', us: ((performance.now() - t0) * 1000) / ${n} })
})()`
const PING_FROM_CHILD = (n) => `let resolve
process.on('message', () => resolve())
const once = () => new Promise((r) => { resolve = r; process.send({ t: 'ping', a: ['k'] }) })
;(async () => {
  for (let i = 0; i < 500; i++) await once()
  const t0 = performance.now()
  for (let i = 0; i < ${n}; i++) await once()
  process.send({ t: 'done', us: ((performance.now() - t0) * 1000) / ${n} }, () => process.exit(0))
})()`

async function rawFromUnit(kind, n) {
  const unit =
    kind === 'thread'
      ? new Worker(PING_FROM_WORKER(n), { eval: true })
      : spawn(process.execPath, ['-e', PING_FROM_CHILD(n)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
  const reply = kind === 'thread' ? (m) => unit.postMessage(m) : (m) => unit.send(m)
  return new Promise((resolve) => {
    unit.on('message', (m) => {
      if (m.t === 'ping') reply(m)
      else {
        resolve(m.us)
        if (kind === 'thread') void unit.terminate()
      }
    })
  })
}

/**
 * Rounds of: a raw postMessage round trip, a managed dict call from a thread, a raw IPC round
 * trip, a managed dict call from a process; each measured in the unit (it sends, this thread
 * answers), the same number of round trips for a raw measure and its managed peer, interleaved so
 * that the machine's load hits both, and a ratio per round.
 */
async function measureManaged(rounds, n) {
  const manager = new th.Manager()
  const d = await manager.dict({ k: 0 })
  const out = new th.Queue()
  const inUnit = async (Unit, count) => {
    const unit = new Unit({ target: managedLoop, args: [d, count, out] })
    unit.start()
    const us = await out.get()
    await unit.join()
    return us
  }
  const threads = []
  const processes = []
  for (let round = 0; round < rounds; round++) {
    const raw = await rawFromUnit('thread', 2 * n)
    const managed = await inUnit(th.Thread, n)
    threads.push({ raw, managed, ratio: managed / raw })
    const rawP = await rawFromUnit('process', Math.ceil(n / 2))
    const managedP = await inUnit(mp.Process, Math.ceil(n / 4))
    processes.push({ raw: rawP, managed: managedP, ratio: managedP / rawP })
  }
  await manager.shutdown()
  const mid = (list, key) => [...list].map((x) => x[key]).sort((a, b) => a - b)[list.length >> 1]
  const summary = (list) => ({ rawUs: mid(list, 'raw'), managedUs: mid(list, 'managed'), ratio: mid(list, 'ratio'), ratios: list.map((x) => Number(x.ratio.toFixed(2))) })
  return { rounds, threads: summary(threads), processes: summary(processes) }
}

/**
 * Rounds of: a raw connection round trip and a remote manager's dict call, each from a process of
 * its own over TCP on 127.0.0.1 (it sends, this thread answers), the same number of round trips.
 */
async function measureRemote(rounds, n) {
  const authkey = 'bench'
  const manager = await new th.Manager({ address: ['127.0.0.1', 0], authkey }).start()
  const listener = await th.connection.Listener(['127.0.0.1', 0], { authkey })
  const echo = async (conn) => {
    try {
      for (;;) await conn.send(await conn.recv())
    } catch {
      // the client closed
    }
  }
  const serving = (async () => {
    for await (const conn of listener) void echo(conn)
  })()
  const out = new th.Queue()
  const inProcess = async (target, args) => {
    const unit = new mp.Process({ target, args: [...args, out] })
    unit.start()
    const us = await out.get()
    await unit.join()
    return us
  }
  const list = []
  for (let round = 0; round < rounds; round++) {
    const raw = await inProcess(rawConnectionLoop, [listener.address, authkey, 2 * n])
    const managed = await inProcess(remoteLoop, [manager.address, authkey, n])
    list.push({ raw, managed, ratio: managed / raw })
  }
  await listener.close()
  await serving
  await manager.shutdown()
  const mid = (key) => list.map((x) => x[key]).sort((a, b) => a - b)[list.length >> 1]
  return { rounds, rawUs: mid('raw'), managedUs: mid('managed'), ratio: mid('ratio'), ratios: list.map((x) => Number(x.ratio.toFixed(2))) }
}

if (th.isMain(import.meta)) {
  const { values } = parseArgs({ options: { n: { type: 'string' }, json: { type: 'boolean' }, only: { type: 'string' } } })
  const n = Number(values.n ?? 20000)
  if (values.only === 'remote') {
    console.log(JSON.stringify(await measureRemote(5, Math.ceil(n / 4)), null, 2))
    process.exit(0)
  }
  const managed = await measureManaged(7, Math.ceil(n / 4))
  if (values.only === 'manager') {
    const { threads: t, processes: p } = managed
    console.log(JSON.stringify(values.json ? managed : { threads: t, processes: p }, null, 2))
    process.exit(0)
  }
  const postMessageUs = await median(5, () => rawPostMessage(n))
  const ipcUs = await median(3, () => rawIpc(Math.ceil(n / 4)))
  const atomicsUs = await median(3, () => rawAtomicsHandoff(n * 5))
  const threads = await measure(th, th.Thread, n)
  const processes = await measure(mp, mp.Process, Math.ceil(n / 4))
  const remote = await measureRemote(5, Math.ceil(n / 4))
  const result = { n, node: process.version, cpus: availableParallelism(), cpu: cpus()[0]?.model, postMessageUs, ipcUs, atomicsUs, threads, processes, managed, remote }
  if (values.json) {
    console.log(JSON.stringify(result, null, 2))
  } else {
    const us = (x) => `${x.toFixed(2)} µs`
    const rate = (x) => `${Math.round(x).toLocaleString('en')} items/s`
    const rows = [
      ['', 'threads', 'processes'],
      ['raw round trip (postMessage / IPC)', us(postMessageUs), us(ipcUs)],
      ['Lock acquire+release, uncontended', us(threads.uncontendedUs), us(processes.uncontendedUs)],
      ['Lock acquire+release, two units contending', us(threads.contendedUs), us(processes.contendedUs)],
      ['Lock handoff between two units', us(threads.handoffUs), us(processes.handoffUs)],
      ['  (bare Atomics handoff, both threads spinning)', us(atomicsUs), ''],
      ['  vs the raw round trip', `${(postMessageUs / threads.handoffUs).toFixed(1)}x faster`, `${(ipcUs / processes.handoffUs).toFixed(1)}x faster`],
      ['Queue, one producer -> one consumer', rate(threads.queueItemsPerSecond), rate(processes.queueItemsPerSecond)],
      ['Manager dict get/set from a unit, per call', us(managed.threads.managedUs), us(managed.processes.managedUs)],
      ['  raw round trip, same rounds (postMessage / IPC)', us(managed.threads.rawUs), us(managed.processes.rawUs)],
      ['  paired ratio, median of the rounds', `${managed.threads.ratio.toFixed(2)}x`, `${managed.processes.ratio.toFixed(2)}x`],
      ['Remote Manager dict get/set over TCP, per call', '', us(remote.managedUs)],
      ['  raw connection round trip, same rounds', '', us(remote.rawUs)],
      ['  paired ratio, median of the rounds', '', `${remote.ratio.toFixed(2)}x`],
    ]
    const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)))
    console.log(`@conc primitives, Node ${process.version}, ${availableParallelism()} CPUs, n = ${n}, median of 3 runs (5 for the handoff and the postMessage round trip)\n`)
    for (const row of rows) console.log(row.map((cell, col) => cell.padEnd(widths[col])).join('   ').trimEnd())
    console.log(
      `\nTarget: a thread lock handoff at least 10x faster than a postMessage round trip: ` +
        `${postMessageUs / threads.handoffUs >= 10 ? 'met' : 'missed'} (${(postMessageUs / threads.handoffUs).toFixed(1)}x).`,
    )
    const within = (side) => (side.ratio <= 1.5 ? 'met' : 'missed')
    console.log(
      `Target: a Manager dict call within 1.5x of a raw round trip of the same transport: threads ${within(managed.threads)} ` +
        `(${managed.threads.ratio.toFixed(2)}x; rounds ${managed.threads.ratios.join(', ')}), processes ${within(managed.processes)} ` +
        `(${managed.processes.ratio.toFixed(2)}x; rounds ${managed.processes.ratios.join(', ')}).`,
    )
  }
}
