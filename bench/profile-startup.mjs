/**
 * Where the start-up time of a runner goes: the phases of `start()` + `join()` for our runners and
 * for the raw primitives, timed on the monotonic clock that all threads and processes share.
 *
 *   node bench/profile-startup.mjs                       # as the backends run by default
 *   CONC_NO_PDEATHSIG=1 node bench/profile-startup.mjs   # processes without the setpriv wrapper
 *
 * Env: PROFILE_THREAD_ROUNDS (40), PROFILE_PROCESS_ROUNDS (25), BENCH_WARMUP (3),
 * BENCH_NO_WRITE=1 (do not write results/profile-startup.json).
 *
 * Phases (medians, ms):
 *   construct    `new Thread(...)` / `new Process(...)` (the caller lookup, argument checks)
 *   spawn        `start()`, or `new Worker()` / `fork()` + `send()`: the synchronous part
 *   boot         from the end of the spawn until Node has bootstrapped the unit (thread or process
 *                creation, exec, Node's bootstrap: performance.nodeTiming.bootstrapComplete)
 *   after boot   from there until the target runs: loading the entry and the target's module,
 *                the init message, the runtime
 *   to exit      from the target running to the parent seeing the unit's exit (join resolving)
 *
 * The `+ entry modules` peers are raw peers that first import the modules our entry files import
 * (@conc/core/unit and the backend package): the difference to the plain raw peer is what loading
 * our code costs. The `course module` peers run the same probe from a module that imports both
 * backend packages (lib/course-probe.mjs), as a course program's units do.
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { Thread, fromModule, isMain } from '@conc/threading'
import { Process } from '@conc/multiprocessing'
import { probeFile, probeShared } from './targets/probe.mjs'
import { machine, source } from './lib/report.mjs'

const THREAD_ROUNDS = Number(process.env.PROFILE_THREAD_ROUNDS ?? 40)
const PROCESS_ROUNDS = Number(process.env.PROFILE_PROCESS_ROUNDS ?? 25)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3)

const probeModule = new URL('./targets/probe.mjs', import.meta.url).href
const courseModule = new URL('./lib/course-probe.mjs', import.meta.url).href
const rawWorker = new URL('./raw/worker.mjs', import.meta.url)
const rawWorkerPreload = new URL('./raw/worker-preload.mjs', import.meta.url)
const rawChild = fileURLToPath(new URL('./raw/child.mjs', import.meta.url))
const rawChildPreload = fileURLToPath(new URL('./raw/child-preload.mjs', import.meta.url))

const hr = () => Number(process.hrtime.bigint()) / 1e6

/** The modules an entry file of ours imports: its backend package and @conc/core/unit. */
function entryModules(pkg) {
  const index = fileURLToPath(import.meta.resolve(pkg))
  const unit = createRequire(index).resolve('@conc/core/unit')
  return [pathToFileURL(index).href, pathToFileURL(unit).href]
}

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

/**
 * Phases from the parent's four marks and the unit's probe sample. `now` and `bootstrapComplete`
 * are on the unit's performance clock (a worker's counts from its process's start, not its own),
 * so only their difference is used.
 */
function phases(t0, t1, t2, t3, [tTarget, now, bootstrapComplete]) {
  const afterBoot = now - bootstrapComplete
  return {
    construct: t1 - t0,
    spawn: t2 - t1,
    boot: tTarget - t2 - afterBoot,
    afterBoot,
    toExit: t3 - tTarget,
    total: t3 - t0,
  }
}

// --- threads ---------------------------------------------------------------------------------

const sharedTarget = fromModule(probeShared, probeModule)
const courseSharedTarget = fromModule(probeShared, courseModule, 'probeShared')

async function threadOurs(target = sharedTarget) {
  const sab = new SharedArrayBuffer(3 * 8)
  const t0 = hr()
  const t = new Thread({ target, args: [sab] })
  const t1 = hr()
  t.start()
  const t2 = hr()
  await t.join()
  const t3 = hr()
  if (t.exitCode !== 0) throw new Error(`Thread exited with ${t.exitCode}`)
  return phases(t0, t1, t2, t3, new Float64Array(sab))
}

async function threadRaw(file, preload) {
  const sab = new SharedArrayBuffer(3 * 8)
  const t0 = hr()
  const w = new Worker(file, { workerData: { preload, module: probeModule, exportName: 'probeShared', args: [sab] } })
  const t2 = hr()
  const [code] = await once(w, 'exit')
  const t3 = hr()
  if (code !== 0) throw new Error(`raw Worker exited with ${code}`)
  return phases(t0, t0, t2, t3, new Float64Array(sab))
}

// --- processes -------------------------------------------------------------------------------

const fileTarget = fromModule(probeFile, probeModule)
const courseFileTarget = fromModule(probeFile, courseModule, 'probeFile')
let tmp

async function processOurs(target = fileTarget) {
  const out = join(tmp, 'probe.json')
  rmSync(out, { force: true })
  const t0 = hr()
  const p = new Process({ target, args: [out] })
  const t1 = hr()
  p.start()
  const t2 = hr()
  await p.join()
  const t3 = hr()
  if (p.exitCode !== 0) throw new Error(`Process exited with ${p.exitCode}`)
  return phases(t0, t1, t2, t3, JSON.parse(readFileSync(out, 'utf8')))
}

async function processRaw(file, argv, setpriv) {
  const out = join(tmp, 'probe.json')
  rmSync(out, { force: true })
  const options = { serialization: 'advanced', stdio: ['inherit', 'inherit', 'inherit', 'ipc'] }
  if (setpriv !== null) {
    options.execPath = setpriv
    options.execArgv = ['--pdeathsig', 'KILL', '--', process.execPath, ...process.execArgv]
  }
  const t0 = hr()
  const child = fork(file, argv, options)
  child.send({ module: probeModule, exportName: 'probeFile', args: [out] })
  const t2 = hr()
  const [code, signal] = await once(child, 'exit')
  const t3 = hr()
  if (code !== 0) throw new Error(`raw fork exited with ${code ?? signal}`)
  return phases(t0, t0, t2, t3, JSON.parse(readFileSync(out, 'utf8')))
}

// --- harness ---------------------------------------------------------------------------------

async function roundRobin(group, peers, rounds) {
  const samples = peers.map(() => [])
  for (let r = 0; r < WARMUP + rounds; r++) {
    for (let k = 0; k < peers.length; k++) {
      const i = (r + k) % peers.length
      const p = await peers[i].run()
      if (r >= WARMUP) samples[i].push(p)
    }
  }
  process.stderr.write(`${group}: ${rounds} rounds done\n`)
  return peers.map((peer, i) => ({ group, label: peer.label, ...medians(samples[i]) }))
}

function medians(samples) {
  const out = {}
  for (const key of Object.keys(samples[0])) {
    const sorted = samples.map((s) => s[key]).sort((a, b) => a - b)
    const mid = sorted.length >> 1
    out[key] = Math.round((sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2) * 100) / 100
  }
  return out
}

/** Mean cost of constructing runners without starting them (the caller lookup is most of it). */
function constructCost(make, n = 2000) {
  for (let i = 0; i < 200; i++) make()
  const t0 = hr()
  for (let i = 0; i < n; i++) make()
  return Math.round(((hr() - t0) / n) * 1000) / 1000
}

function table(rows) {
  const cols = ['construct', 'spawn', 'boot', 'afterBoot', 'toExit', 'total']
  const lines = [
    `| peer | ${cols.join(' | ')} |`,
    `| --- |${cols.map(() => ' ---: |').join('')}`,
    ...rows.map((r) => `| ${r.group}: ${r.label} | ${cols.map((c) => r[c].toFixed(2)).join(' | ')} |`),
  ]
  return lines.join('\n')
}

if (isMain(import.meta)) {
  tmp = mkdtempSync(join(tmpdir(), 'conc-profile-'))
  try {
    const setpriv = findSetpriv()
    const threads = await roundRobin(
      'threads',
      [
        { label: 'new Thread(...)', run: () => threadOurs() },
        { label: 'new Thread(...), course module', run: () => threadOurs(courseSharedTarget) },
        { label: 'new Worker(file)', run: () => threadRaw(rawWorker, []) },
        { label: 'new Worker(file) + entry modules', run: () => threadRaw(rawWorkerPreload, entryModules('@conc/threading')) },
      ],
      THREAD_ROUNDS,
    )
    const processPeers = [
      {
        label: `new Process(...)${process.env.CONC_NO_PDEATHSIG === undefined ? '' : ', CONC_NO_PDEATHSIG=1'}`,
        run: () => processOurs(),
      },
      { label: 'new Process(...), course module', run: () => processOurs(courseFileTarget) },
      { label: 'fork(file)', run: () => processRaw(rawChild, [], null) },
      {
        label: 'fork(file) + entry modules',
        run: () => processRaw(rawChildPreload, [JSON.stringify(entryModules('@conc/multiprocessing'))], null),
      },
    ]
    if (setpriv !== null) {
      processPeers.push({ label: 'fork(file) under setpriv', run: () => processRaw(rawChild, [], setpriv) })
    }
    const processes = await roundRobin('processes', processPeers, PROCESS_ROUNDS)
    const construct = {
      threadUs: constructCost(() => new Thread({ target: sharedTarget, args: [null] })) * 1000,
      processUs: constructCost(() => new Process({ target: fileTarget, args: [''] })) * 1000,
    }
    const rows = [...threads, ...processes]
    console.log(table(rows))
    console.log(
      `\nconstructing a runner (not started), mean of 2000: Thread ${construct.threadUs.toFixed(1)} µs, ` +
        `Process ${construct.processUs.toFixed(1)} µs`,
    )
    if (process.env.BENCH_NO_WRITE !== '1') {
      const file = fileURLToPath(new URL('./results/profile-startup.json', import.meta.url))
      mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true })
      const report = {
        benchmark: 'profile-startup',
        date: new Date().toISOString(),
        machine: machine(),
        source: source(),
        env: { CONC_NO_PDEATHSIG: process.env.CONC_NO_PDEATHSIG ?? null },
        config: { threadRounds: THREAD_ROUNDS, processRounds: PROCESS_ROUNDS, warmupRounds: WARMUP },
        unit: 'ms (medians)',
        phases: rows,
        constructMeanUs: construct,
      }
      writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
      console.log(`wrote bench/results/profile-startup.json`)
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}
