/**
 * Every contender behind one shape, in the configuration a workload asks for:
 *
 *   run(name, arg)      one call of the named task of tasks.cjs with one argument → Promise
 *   runMove(bytes)      echo `bytes` with its buffer transferred to the worker and, where the
 *                       library can, the result moved back (threads) → Promise<Uint8Array>
 *   map(items)          `inc` over items, chunks of CHUNK items → Promise<array>
 *   close()
 *
 * `CONTENDERS` lists them; `configure(id, profile)` says what options a profile gives each pool,
 * and is what the README documents.
 */
import { fork } from 'node:child_process'
import { Worker } from 'node:worker_threads'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as tasks from './tasks.mjs'

export const CHUNK = 10_000

const here = (file) => new URL(file, import.meta.url)
const path = (file) => here(file).pathname

/** The contenders: ours, the peers, and references (floors and ceilings, no ratio is taken). */
export const CONTENDERS = {
  'conc-thread': { kind: 'thread', role: 'ours', label: '@conc/threading ThreadPoolExecutor' },
  'conc-process': { kind: 'process', role: 'ours', label: '@conc/multiprocessing ProcessPoolExecutor' },
  piscina: { kind: 'thread', role: 'peer', label: 'piscina' },
  tinypool: { kind: 'thread', role: 'peer', label: 'tinypool (worker_threads)' },
  'workerpool-thread': { kind: 'thread', role: 'peer', label: 'workerpool (thread)' },
  'poolifier-thread': { kind: 'thread', role: 'peer', label: 'poolifier FixedThreadPool' },
  'tinypool-process': { kind: 'process', role: 'peer', label: 'tinypool (child_process)' },
  'workerpool-process': { kind: 'process', role: 'peer', label: 'workerpool (process)' },
  'poolifier-cluster': { kind: 'process', role: 'peer', label: 'poolifier FixedClusterPool' },
  inline: { kind: 'any', role: 'ref', label: 'inline (no pool, main thread)' },
  'bare-threads': { kind: 'any', role: 'ref', label: 'bare worker threads (no pool)' },
  'raw-worker': { kind: 'thread', role: 'ref', label: 'raw Worker postMessage round trip' },
  'raw-fork-v8': { kind: 'process', role: 'ref', label: "raw fork IPC round trip, serialization 'advanced' (V8)" },
  'raw-fork-json': { kind: 'process', role: 'ref', label: 'raw fork IPC round trip, JSON' },
}

/**
 * `BENCH_AB=<checkout>`: @conc as built in another checkout (its packages' dist) joins as a peer,
 * `conc-thread-ab` and `conc-process-ab`, to compare a change against a base in the same rounds.
 */
const AB = process.env.BENCH_AB
if (AB) {
  CONTENDERS['conc-thread-ab'] = { kind: 'thread', role: 'peer', label: `@conc/threading at ${AB}` }
  CONTENDERS['conc-process-ab'] = { kind: 'process', role: 'peer', label: `@conc/multiprocessing at ${AB}` }
}

/** Tasks in flight per worker for async work (piscina, tinypool); see bench/README.md. */
export const ASYNC_CONCURRENCY = 1000

/**
 * The options each contender gets under a profile: `default` (sync tasks, small messages),
 * `async` (tasks that await: many in flight per worker where the library allows it), `binary`
 * (large binary payloads: V8 serialization where a process pool offers it). Returns
 * { options, note } where note is the one-line description for the README.
 */
export function configure(id, profile, workers) {
  const n = workers
  switch (id) {
    case 'conc-thread':
    case 'conc-process':
    case 'conc-thread-ab':
    case 'conc-process-ab':
      const options = { maxWorkers: n }
      if (profile === 'async') options.concurrentTasksPerWorker = ASYNC_CONCURRENCY
      return { options, note: describe(options) }
    case 'piscina': {
      const options = { minThreads: n, maxThreads: n, idleTimeout: 60_000 }
      if (profile === 'async') options.concurrentTasksPerWorker = ASYNC_CONCURRENCY
      return { options, note: describe(options) + (profile === 'async' ? '' : " (atomics: 'sync', the default)") }
    }
    case 'tinypool':
    case 'tinypool-process': {
      const options = { minThreads: n, maxThreads: n, idleTimeout: 60_000, runtime: id === 'tinypool' ? 'worker_threads' : 'child_process' }
      if (profile === 'async') options.concurrentTasksPerWorker = ASYNC_CONCURRENCY
      // Faster for async tasks in explore-configs.mjs (7 rounds of 9).
      if (profile === 'async' && id === 'tinypool') options.useAtomics = false
      if (profile === 'binary' && id === 'tinypool-process') options.serialization = 'advanced'
      return { options, note: describe(options) }
    }
    case 'workerpool-thread':
    case 'workerpool-process': {
      const options = { minWorkers: n, maxWorkers: n, workerType: id === 'workerpool-thread' ? 'thread' : 'process' }
      if (profile === 'binary' && id === 'workerpool-process') options.forkOpts = { serialization: 'advanced' }
      const extra = profile === 'async' ? ' (workerpool runs one task per worker at a time: no option for more)' : ''
      return { options, note: describe(options) + extra }
    }
    case 'poolifier-thread':
    case 'poolifier-cluster': {
      // For async tasks poolifier's default (no task queue: every task goes to a worker at once,
      // and its workers run async functions concurrently) beat `enableTasksQueue: true,
      // tasksQueueOptions: { concurrency: 1000 }` in explore-configs.mjs (6 rounds of 9, both kinds).
      const options = {}
      if (profile === 'binary' && id === 'poolifier-cluster') options.settings = { serialization: 'advanced' }
      const cls = id === 'poolifier-thread' ? 'FixedThreadPool' : 'FixedClusterPool'
      const extra = profile === 'async' ? ' (no task queue: every task is sent to a worker at once and runs concurrently there)' : ''
      return { options, note: `new ${cls}(${n}, file${Object.keys(options).length > 0 ? `, ${describe(options)}` : ''})${extra}` }
    }
    case 'bare-threads':
      return { options: {}, note: `${n} workers, tasks dealt round-robin, no queue` }
    case 'raw-fork-v8':
      return { options: {}, note: "fork(file, { serialization: 'advanced' }), one message in flight" }
    case 'raw-fork-json':
      return { options: {}, note: 'fork(file), one message in flight' }
    case 'raw-worker':
      return { options: {}, note: 'new Worker(file), one message in flight' }
    default:
      return { options: {}, note: '' }
  }
}

function describe(options) {
  return JSON.stringify(options).replace(/"(\w+)":/g, '$1: ').replace(/,/g, ', ').replace(/"/g, "'")
}

/** Opens contender `id` with `workers` workers under `profile`. */
export async function open(id, profile, workers) {
  const { options } = configure(id, profile, workers)
  switch (id) {
    case 'conc-thread':
    case 'conc-process':
    case 'conc-thread-ab':
    case 'conc-process-ab': {
      const threads = id.startsWith('conc-thread')
      const lib = id.endsWith('-ab')
        ? await import(pathToFileURL(join(AB, 'packages', threads ? 'threading' : 'multiprocessing', 'dist/index.js')).href)
        : threads
          ? await import('@conc/threading')
          : await import('@conc/multiprocessing')
      const Executor = lib.ThreadPoolExecutor ?? lib.ProcessPoolExecutor
      const ex = new Executor(options)
      const url = here('./tasks.mjs')
      const fns = Object.fromEntries(['inc', 'countPrimes', 'sleepInc', 'echoBytes'].map((name) => [name, lib.fromModule(tasks[name], url)]))
      const movers = here('./worker-conc.mjs')
      const echoBytesMove = lib.fromModule((await import(movers.href)).echoBytesMove, movers)
      return {
        run: (name, arg) => ex.submit(fns[name], arg),
        // The result comes back with `move()` (bench/pools/worker-conc.mjs): moved on threads.
        runMove: (bytes) => ex.submitWith({ transfer: [bytes.buffer] }, echoBytesMove, bytes),
        movesResults: threads,
        async map(items) {
          const out = []
          for await (const value of ex.map(fns.inc, items, { chunksize: CHUNK })) out.push(value)
          return out
        },
        close: () => ex.shutdown(),
      }
    }
    case 'piscina': {
      const { Piscina } = await import('piscina')
      const pool = new Piscina({ filename: here('./worker-piscina.mjs').href, ...options })
      return chunked({
        run: (name, arg) => pool.run(arg, { name }),
        runMove: (bytes) => pool.run(bytes, { name: 'echoBytesMove', transferList: [bytes.buffer] }),
        movesResults: true,
        close: () => pool.destroy(),
      })
    }
    case 'tinypool':
    case 'tinypool-process': {
      const { Tinypool } = await import('tinypool')
      const pool = new Tinypool({ filename: here('./worker-tinypool.mjs').href, ...options })
      return chunked({
        run: (name, arg) => pool.run(arg, { name }),
        runMove: (bytes) => pool.run(bytes, { name: 'echoBytesMove', transferList: [bytes.buffer] }),
        movesResults: true,
        close: () => pool.destroy(),
      })
    }
    case 'workerpool-thread':
    case 'workerpool-process': {
      const { default: workerpool } = await import('workerpool')
      const pool = workerpool.pool(path('./worker-workerpool.mjs'), options)
      return chunked({
        run: (name, arg) => pool.exec(name, [arg]),
        runMove: (bytes) => pool.exec('echoBytesMove', [bytes], { transfer: [bytes.buffer] }),
        movesResults: true,
        close: () => pool.terminate(),
      })
    }
    case 'poolifier-thread':
    case 'poolifier-cluster': {
      const { FixedClusterPool, FixedThreadPool } = await import('poolifier')
      const pool =
        id === 'poolifier-thread'
          ? new FixedThreadPool(workers, path('./worker-poolifier-thread.mjs'), options)
          : new FixedClusterPool(workers, path('./worker-poolifier-cluster.cjs'), options)
      if (pool.info?.ready === false) await new Promise((resolve) => pool.emitter.once('ready', resolve))
      return chunked({
        run: (name, arg) => pool.execute(arg, name),
        runMove: (bytes) => pool.execute(bytes, 'echoBytesMove', undefined, [bytes.buffer]),
        movesResults: false,
        close: () => pool.destroy(),
      })
    }
    case 'inline':
      return chunked({
        run: (name, arg) => Promise.resolve(tasks[name](arg)),
        close: async () => {},
      })
    case 'bare-threads':
      return bareThreads(workers)
    case 'raw-worker':
      return rawEcho(new Worker(here('./raw-echo-worker.mjs')))
    case 'raw-fork-v8':
    case 'raw-fork-json': {
      const child = fork(path('./raw-echo-child.cjs'), [], { serialization: id === 'raw-fork-v8' ? 'advanced' : 'json' })
      return rawEcho(child)
    }
    default:
      throw new Error(`unknown contender ${id}`)
  }
}

/** `map` for libraries without a chunked map: one `incChunk` task per chunk. */
function chunked(pool) {
  return {
    ...pool,
    async map(items) {
      const parts = []
      for (let i = 0; i < items.length; i += CHUNK) parts.push(pool.run('incChunk', items.slice(i, i + CHUNK)))
      return (await Promise.all(parts)).flat()
    },
  }
}

/** A Worker or a forked child answering x + 1, one message in flight (the latency floor). */
function rawEcho(unit) {
  let pending
  unit.on('message', (value) => {
    const resolve = pending
    pending = undefined
    resolve(value)
  })
  const send = unit.postMessage ? (x) => unit.postMessage(x) : (x) => unit.send(x)
  return {
    run(name, arg) {
      if (name !== 'inc' || pending !== undefined) throw new Error('raw echo: one inc at a time')
      return new Promise((resolve) => {
        pending = resolve
        send(arg)
      })
    },
    close: async () => {
      if (unit.terminate) await unit.terminate()
      else {
        unit.kill()
        await new Promise((resolve) => unit.once('exit', resolve))
      }
    },
  }
}

/** Bare worker threads: tasks dealt round-robin, answers in order per worker. */
function bareThreads(n) {
  const units = Array.from({ length: n }, () => {
    const worker = new Worker(here('./raw-task-worker.mjs'))
    const waiting = []
    let head = 0
    worker.on('message', (value) => {
      const resolve = waiting[head]
      waiting[head++] = undefined
      resolve(value)
    })
    return { worker, waiting }
  })
  let next = 0
  return chunked({
    run(name, arg) {
      const unit = units[next++ % n]
      return new Promise((resolve) => {
        unit.waiting.push(resolve)
        unit.worker.postMessage([name, arg])
      })
    },
    close: () => Promise.all(units.map((u) => u.worker.terminate())),
  })
}
