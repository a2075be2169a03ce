/**
 * The harness of runner-startup.mjs, imported only inside its isMain() guard, so that the units
 * (which import runner-startup.mjs again) do not load it.
 */
import { fork, spawn } from 'node:child_process'
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { fromModule } from '@conc/multiprocessing'
import { trivial as bareTrivial } from '../targets/bare.mjs'
import { makeCourse } from './course-module.mjs'
import { anatomy } from './import-anatomy.mjs'
import { measureImports } from './import-cost.mjs'
import { measureTsx } from './tsx-cost.mjs'
import { compare, formatTable, loadavg, machine, median, source, summarize, writeResults } from './report.mjs'

const TARGET = 1.15
const THREAD_ROUNDS = Number(process.env.BENCH_THREAD_ROUNDS ?? 30)
const PROCESS_ROUNDS = Number(process.env.BENCH_PROCESS_ROUNDS ?? 20)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3)
const IMPORT_ROUNDS = Number(process.env.BENCH_IMPORT_ROUNDS ?? 40)
const ANATOMY_ROUNDS = Number(process.env.BENCH_ANATOMY_ROUNDS ?? 15)
const TSX_ROUNDS = Number(process.env.BENCH_TSX_ROUNDS ?? 6)
// BENCH_ONLY=user: only what a user pays (the course module against raw files that import
// nothing, and the import of each package), for a quick run.
const ONLY_USER = process.env.BENCH_ONLY === 'user'
const ITERATION_TIMEOUT_MS = 30_000

const rawWorker = new URL('../raw/worker.mjs', import.meta.url)
const rawChild = fileURLToPath(new URL('../raw/child.mjs', import.meta.url))
const rawEmpty = fileURLToPath(new URL('../raw/empty.mjs', import.meta.url))
const bareModule = new URL('../targets/bare.mjs', import.meta.url).href
const ARGS = [1]

function findSetpriv() {
  if (process.platform !== 'linux') return null
  for (const candidate of ['/usr/bin/setpriv', '/bin/setpriv']) {
    try {
      accessSync(candidate, fsConstants.X_OK)
      return candidate
    } catch {
      // not there
    }
  }
  return null
}

function withTimeout(promise, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no exit after ${ITERATION_TIMEOUT_MS} ms`)), ITERATION_TIMEOUT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The two target modules: this benchmark's own module (the course shape), and a bare one. */
function variants(benchUrl, benchTrivial) {
  return {
    bench: { module: benchUrl, target: benchTrivial },
    // A function from another module travels by explicit reference.
    bare: { module: bareModule, target: fromModule(bareTrivial, bareModule) },
  }
}

// ---------------------------------------------------------------------------------------------
// One start() + join() of each peer, timed in ms.

async function timeThread(make, target) {
  const t0 = performance.now()
  const t = make.thread(target, ARGS)
  t.start()
  await withTimeout(t.join(), 'Thread')
  const ms = performance.now() - t0
  if (t.exitCode !== 0) throw new Error(`Thread exited with ${t.exitCode}`)
  return ms
}

async function timeRawWorker(module) {
  const t0 = performance.now()
  const w = new Worker(rawWorker, { workerData: { module, exportName: 'trivial', args: ARGS } })
  const [code] = await withTimeout(once(w, 'exit'), 'raw Worker')
  const ms = performance.now() - t0
  if (code !== 0) throw new Error(`raw Worker exited with ${code}`)
  return ms
}

async function timeProcess(make, target) {
  const t0 = performance.now()
  const p = make.process(target, ARGS)
  p.start()
  await withTimeout(p.join(), 'Process')
  const ms = performance.now() - t0
  if (p.exitCode !== 0) throw new Error(`Process exited with ${p.exitCode}`)
  return ms
}

/** Same fork options as our backend: advanced serialization, inherited stdio, an IPC channel. */
async function timeRawFork(module, setpriv) {
  const options = { serialization: 'advanced', stdio: ['inherit', 'inherit', 'inherit', 'ipc'] }
  if (setpriv !== null) {
    options.execPath = setpriv
    options.execArgv = ['--pdeathsig', 'KILL', '--', process.execPath, ...process.execArgv]
  }
  const t0 = performance.now()
  const child = fork(rawChild, [], options)
  child.send({ module, exportName: 'trivial', args: ARGS })
  const [code, signal] = await withTimeout(once(child, 'exit'), 'raw fork')
  const ms = performance.now() - t0
  if (code !== 0) throw new Error(`raw fork exited with ${code ?? signal}`)
  return ms
}

/** What a user pays: a course module's no-op target, `start()` + `join()`. */
async function timeCourse(kind) {
  const t0 = performance.now()
  const unit = makeCourse[kind]()
  unit.start()
  await withTimeout(unit.join(), kind)
  const ms = performance.now() - t0
  if (unit.exitCode !== 0) throw new Error(`${kind} exited with ${unit.exitCode}`)
  return ms
}

/** What a user writes by hand instead: `new Worker(file)` / `fork(file)` of a file that imports nothing. */
async function timeRawEmpty(kind) {
  const t0 = performance.now()
  const unit = kind === 'thread' ? new Worker(rawEmpty) : fork(rawEmpty)
  const [code, signal] = await withTimeout(once(unit, 'exit'), `raw ${kind}`)
  const ms = performance.now() - t0
  if (code !== 0) throw new Error(`raw ${kind} exited with ${code ?? signal}`)
  return ms
}

/**
 * The floor of the course shape: what Node itself costs for it, with no library at all. A project
 * in a temporary directory whose entry file imports a module (`course.mjs`) that imports two
 * packages by name, each a `package.json` with an `exports` map shaped like ours and one file
 * exporting a no-op: what a unit of a course program must load at the least (the program's module
 * and the two packages it names) beside what `raw/empty.mjs` loads. `new Worker(file)` / `fork(file)`
 * of that entry, against the same of `raw/empty.mjs`, is how much of the 1.15× goal Node takes
 * before any code of @conc runs.
 */
function makeFloor() {
  const dir = mkdtempSync(join(tmpdir(), 'conc-startup-floor-'))
  const remove = () => rmSync(dir, { recursive: true, force: true })
  try {
    return writeFloor(dir, remove)
  } catch (error) {
    remove()
    throw error
  }
}

function writeFloor(dir, remove) {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'startup-floor', private: true, type: 'module' }))
  for (const name of ['floor-threading', 'floor-multiprocessing']) {
    const pkg = join(dir, 'node_modules', name)
    mkdirSync(pkg, { recursive: true })
    const exports = { '.': { types: './index.d.ts', 'conc-lazy': './index.js', default: './index.js' } }
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name, type: 'module', exports }))
    writeFileSync(join(pkg, 'index.js'), 'export function unit() {}\n')
  }
  writeFileSync(
    join(dir, 'course.mjs'),
    "import { unit as thread } from 'floor-threading'\nimport { unit as process } from 'floor-multiprocessing'\nexport const made = [thread, process]\nexport function noop() {}\n",
  )
  writeFileSync(join(dir, 'entry.mjs'), "import { noop } from './course.mjs'\nnoop()\n")
  // The same, plus the one file of @conc every unit loads: its runtime, `@conc/core/unit`, imported
  // by name as the backends' entries do (linked to this checkout's build).
  const threading = createRequire(import.meta.url).resolve('@conc/threading')
  const core = dirname(realpathSync(createRequire(threading).resolve('@conc/core/package.json')))
  mkdirSync(join(dir, 'node_modules', '@conc'), { recursive: true })
  symlinkSync(core, join(dir, 'node_modules', '@conc', 'core'), 'dir')
  writeFileSync(join(dir, 'entry-runtime.mjs'), "import '@conc/core/unit'\nimport { noop } from './course.mjs'\nnoop()\n")
  return { entry: join(dir, 'entry.mjs'), runtimeEntry: join(dir, 'entry-runtime.mjs'), remove }
}

/** `new Worker(file)` / `fork(file)` of the floor's entry (see makeFloor). */
async function timeRawFloor(kind, entry) {
  const t0 = performance.now()
  const unit = kind === 'thread' ? new Worker(entry) : fork(entry)
  const [code, signal] = await withTimeout(once(unit, 'exit'), `raw ${kind} (floor)`)
  const ms = performance.now() - t0
  if (code !== 0) throw new Error(`raw ${kind} of the floor exited with ${code ?? signal}`)
  return ms
}

/**
 * The exec of setpriv alone: `setpriv --pdeathsig KILL -- /bin/true` against `/bin/true`,
 * interleaved in pairs. Far less noisy than comparing two Node start-ups.
 */
async function setprivExecCost(setpriv, pairs = 100) {
  const run = async (cmd, args) => {
    const t0 = performance.now()
    const child = spawn(cmd, args, { stdio: 'ignore' })
    await withTimeout(once(child, 'exit'), cmd)
    return performance.now() - t0
  }
  const truePath = ['/usr/bin/true', '/bin/true'].find((p) => {
    try {
      accessSync(p, fsConstants.X_OK)
      return true
    } catch {
      return false
    }
  })
  const without = []
  const withIt = []
  const runWithout = () => run(truePath, [])
  const runWith = () => run(setpriv, ['--pdeathsig', 'KILL', '--', truePath])
  for (let i = 0; i < pairs + 5; i++) {
    // Alternate which one goes first.
    const [x, y] = i % 2 === 0 ? [await runWithout(), await runWith()] : [await runWith(), await runWithout()].reverse()
    if (i >= 5) {
      without.push(x)
      withIt.push(y)
    }
  }
  const r = (x) => Math.round(x * 1000) / 1000
  return {
    n: pairs,
    withMedian: r(median(withIt)),
    withoutMedian: r(median(without)),
    pairedDeltaMedian: r(median(withIt.map((x, i) => x - without[i]))),
    pairedRatioMedian: r(median(withIt.map((x, i) => x / without[i]))),
  }
}

// ---------------------------------------------------------------------------------------------
// A driver: a copy of this benchmark in a child process (plain fork, so isMain() is true there)
// that times `Process` on request. `CONC_NO_PDEATHSIG` is read once per process by our backend,
// so comparing with and without setpriv needs a second process.

/** Runs in the driver process. */
export async function driver(benchUrl, benchTrivial, make) {
  const vs = variants(benchUrl, benchTrivial)
  process.on('message', async ({ id, variant }) => {
    try {
      const ms = await timeProcess(make, vs[variant].target)
      process.send({ id, ms })
    } catch (error) {
      process.send({ id, error: String(error?.stack ?? error) })
    }
  })
}

function startDriver(benchUrl, env) {
  const child = fork(fileURLToPath(benchUrl), ['--driver'], { env: { ...process.env, ...env } })
  let next = 0
  const pending = new Map()
  child.on('message', ({ id, ms, error }) => {
    const p = pending.get(id)
    pending.delete(id)
    if (error !== undefined) p.reject(new Error(`driver: ${error}`))
    else p.resolve(ms)
  })
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`driver exited with ${code}`))
  })
  return {
    time(variant) {
      const id = next++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        child.send({ id, variant })
      })
    },
    close() {
      child.disconnect()
      return once(child, 'exit')
    },
  }
}

// ---------------------------------------------------------------------------------------------

/** Runs the peers round-robin, each round starting one peer later, after `warmup` rounds. */
async function roundRobin(group, peers, rounds, warmup) {
  const samples = peers.map(() => [])
  const total = warmup + rounds
  for (let r = 0; r < total; r++) {
    for (let k = 0; k < peers.length; k++) {
      const i = (r + k) % peers.length
      const ms = await peers[i].run()
      if (r >= warmup) samples[i].push(ms)
    }
    if (process.stderr.isTTY) process.stderr.write(`\r${group}: round ${r + 1}/${total}${r < warmup ? ' (warm-up)' : '          '}`)
  }
  process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}${group}: ${warmup} warm-up + ${rounds} rounds done   \n`)
  return peers.map((peer, i) => ({ group, ...peer.meta, samples: samples[i] }))
}

export async function main(benchUrl, benchTrivial, make) {
  const vs = variants(benchUrl, benchTrivial)
  const setpriv = findSetpriv()
  const date = new Date().toISOString()
  const host = machine()

  const floor = makeFloor()
  // Removed after the process rounds, and at exit whatever happens before (a failed round throws).
  process.once('exit', floor.remove)
  const threadPeers = [
    { meta: { id: 'thread/course', variant: 'course', label: 'new Thread({ target: noop })' }, run: () => timeCourse('thread') },
    { meta: { id: 'raw-worker/empty', variant: 'empty', label: 'new Worker(file)' }, run: () => timeRawEmpty('thread') },
    { meta: { id: 'raw-worker/floor', variant: 'floor', label: 'new Worker(file), file importing the course shape with empty packages' }, run: () => timeRawFloor('thread', floor.entry) },
    { meta: { id: 'raw-worker/floor-runtime', variant: 'floor', label: 'the same, also importing @conc/core/unit' }, run: () => timeRawFloor('thread', floor.runtimeEntry) },
  ]
  for (const [variant, v] of ONLY_USER ? [] : Object.entries(vs)) {
    threadPeers.push(
      { meta: { id: `thread/${variant}`, variant, label: 'new Thread({ target, args })' }, run: () => timeThread(make, v.target) },
      { meta: { id: `raw-worker/${variant}`, variant, label: 'new Worker(file)' }, run: () => timeRawWorker(v.module) },
    )
  }
  const threads = await roundRobin('threads', threadPeers, THREAD_ROUNDS, WARMUP)

  const noPdeathsig = ONLY_USER ? null : startDriver(benchUrl, { CONC_NO_PDEATHSIG: '1' })
  const defaultDriver = setpriv === null || ONLY_USER ? null : startDriver(benchUrl, {})
  const processPeers = [
    { meta: { id: 'process/course', variant: 'course', label: 'new Process({ target: noop })' }, run: () => timeCourse('process') },
    { meta: { id: 'raw-fork/empty', variant: 'empty', label: 'fork(file)' }, run: () => timeRawEmpty('process') },
    { meta: { id: 'raw-fork/floor', variant: 'floor', label: 'fork(file), file importing the course shape with empty packages' }, run: () => timeRawFloor('process', floor.entry) },
    { meta: { id: 'raw-fork/floor-runtime', variant: 'floor', label: 'the same, also importing @conc/core/unit' }, run: () => timeRawFloor('process', floor.runtimeEntry) },
  ]
  for (const [variant, v] of ONLY_USER ? [] : Object.entries(vs)) {
    processPeers.push(
      { meta: { id: `process/${variant}`, variant, label: 'new Process({ target, args })' }, run: () => timeProcess(make, v.target) },
      { meta: { id: `raw-fork/${variant}`, variant, label: 'fork(file)' }, run: () => timeRawFork(v.module, null) },
      {
        meta: { id: `process-no-pdeathsig/${variant}`, variant, label: 'new Process(...), CONC_NO_PDEATHSIG=1 (driver)' },
        run: () => noPdeathsig.time(variant),
      },
    )
  }
  if (setpriv !== null && !ONLY_USER) {
    processPeers.push(
      { meta: { id: 'raw-fork-setpriv/bench', variant: 'bench', label: 'fork(file) under setpriv --pdeathsig KILL' }, run: () => timeRawFork(vs.bench.module, setpriv) },
      { meta: { id: 'process-driver/bench', variant: 'bench', label: 'new Process(...), default (driver)' }, run: () => defaultDriver.time('bench') },
    )
  }
  const processes = await roundRobin('processes', processPeers, PROCESS_ROUNDS, WARMUP).finally(floor.remove)
  await noPdeathsig?.close()
  await defaultDriver?.close()
  process.stderr.write(`imports: ${IMPORT_ROUNDS} rounds...\n`)
  const imports = await measureImports({ rounds: IMPORT_ROUNDS })
  // BENCH_ONLY=user: what a user pays (units and imports), not where it goes nor tsx's cost.
  if (!ONLY_USER) process.stderr.write(`import anatomy: ${ANATOMY_ROUNDS} rounds...\n`)
  const importAnatomy = ONLY_USER ? undefined : [await anatomy('@conc/threading', ANATOMY_ROUNDS), await anatomy('@conc/multiprocessing', ANATOMY_ROUNDS)]
  if (!ONLY_USER) process.stderr.write(`tsx: ${TSX_ROUNDS} rounds...\n`)
  const tsx = ONLY_USER ? undefined : await measureTsx({ rounds: TSX_ROUNDS })

  const results = [...threads, ...processes].map(summarize)
  const byId = Object.fromEntries(results.map((r) => [r.id, r]))
  const user = [
    ['thread/course', 'raw-worker/empty'],
    ['process/course', 'raw-fork/empty'],
  ].map(([ours, raw]) => compare(byId[ours], byId[raw], TARGET))
  // How much of the goal Node takes for the course shape alone, and what @conc adds above that.
  const floorRows = [
    ['raw-worker/floor', 'raw-worker/empty'],
    ['raw-worker/floor-runtime', 'raw-worker/empty'],
    ['thread/course', 'raw-worker/floor'],
    ['raw-fork/floor', 'raw-fork/empty'],
    ['raw-fork/floor-runtime', 'raw-fork/empty'],
    ['process/course', 'raw-fork/floor'],
  ].map(([ours, raw]) => compare(byId[ours], byId[raw], null))
  const pairs = ONLY_USER ? [] : [
    ['thread/bench', 'raw-worker/bench'],
    ['thread/bare', 'raw-worker/bare'],
    ['process/bench', 'raw-fork/bench'],
    ['process/bare', 'raw-fork/bare'],
    ['process-no-pdeathsig/bench', 'raw-fork/bench'],
    ['process-no-pdeathsig/bare', 'raw-fork/bare'],
  ]
  if (setpriv !== null && !ONLY_USER) pairs.push(['process/bench', 'raw-fork-setpriv/bench'])
  const comparisons = pairs.map(([ours, raw]) => compare(byId[ours], byId[raw], TARGET))
  const setprivCost =
    setpriv === null || ONLY_USER
      ? null
      : {
          binary: setpriv,
          exec: await setprivExecCost(setpriv),
          rawFork: compare(byId['raw-fork-setpriv/bench'], byId['raw-fork/bench'], null),
          process: compare(byId['process-driver/bench'], byId['process-no-pdeathsig/bench'], null),
        }

  const report = {
    benchmark: 'runner-startup',
    description:
      'start() + join() of a trivial target (returns x + 1) vs the raw primitive doing the same work ' +
      '(import the target module, call it, exit); peers interleaved round-robin',
    date,
    machine: host,
    source: source(),
    config: {
      threadRounds: THREAD_ROUNDS,
      processRounds: PROCESS_ROUNDS,
      warmupRounds: WARMUP,
      target: TARGET,
      importRounds: IMPORT_ROUNDS,
      anatomyRounds: ANATOMY_ROUNDS,
      tsxRounds: TSX_ROUNDS,
    },
    loadavgAtEnd: loadavg(),
    results,
    user,
    floor: floorRows,
    imports,
    importAnatomy,
    tsx,
    comparisons,
    setpriv: setprivCost,
  }
  console.log(formatTable(report))
  if (process.env.BENCH_NO_WRITE !== '1' && !ONLY_USER) {
    const written = await writeResults(report)
    console.log(`\nwrote ${written.join(', ')}`)
  }
}
