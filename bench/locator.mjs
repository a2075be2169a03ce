/**
 * What finding a function's module costs (issue 8 §1): the synchronous part of the first
 * `executor.submit(fn)` of a function, where the pool looks up where `fn` is exported, against the
 * second submit of the same function (cached) and a submit of a `fromModule` function (no lookup).
 * Each case runs in fresh processes, since the first lookup is the one that costs. Times are the
 * CPU time of the call, in ms (the lookup is synchronous; on a shared machine wall time mostly
 * measures the other processes).
 *
 *   node bench/locator.mjs        # env: LOCATOR_RUNS (7), LOCATOR_HEAP_MB (300)
 *
 * Cases (by the step of the lookup that answers):
 *   entry      defined in the program's entry           the entry's text at the function's position
 *   sibling    imported from ./targets/locator-work.mjs  the text of a module the entry imports
 *   commonjs   imported from a CommonJS file             the same, then its module.exports
 *   built-in   zlib.gzipSync                             loaded built-in modules, by identity
 *   package    an ES module package (tinypool)           the Debugger's list of scripts
 *   package+heap  the same with a LOCATOR_HEAP_MB heap   (turning the Debugger on walks the heap)
 *
 * It also times 100 000 awaits with the Debugger off, on, and off again after a lookup that used
 * it: why the locator never leaves it on.
 */
import { execFileSync } from 'node:child_process'
import { Session } from 'node:inspector'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { ThreadPoolExecutor, fromModule, isMain } from '@conc/threading'
import { markMovable } from 'tinypool'
import { siblingTask } from './targets/locator-work.mjs'
import cjs from './targets/locator-work.cjs'
import { median } from './lib/report.mjs'

export function entryTask(x) {
  return x
}

const CASES = {
  entry: entryTask,
  sibling: siblingTask,
  commonjs: cjs.commonJsTask,
  'built-in': gzipSync,
  package: markMovable,
  'package+heap': markMovable,
}

function submitTimes(fn) {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 })
  const explicit = fromModule(function explicitTask() {}, import.meta.url, 'entryTask')
  // CPU time of the call: on a shared machine, wall time mostly measures the other processes.
  const time = (f) => {
    const t = process.cpuUsage()
    executor.submit(f)
    const d = process.cpuUsage(t)
    return (d.user + d.system) / 1000
  }
  const baseline = time(explicit)
  const first = time(fn)
  const cached = time(fn)
  void executor.shutdown({ cancelFutures: true, wait: false })
  return { first, cached, baseline }
}

async function awaits() {
  const t = process.cpuUsage()
  for (let i = 0; i < 100_000; i++) await null
  const d = process.cpuUsage(t)
  return (d.user + d.system) / 1000
}

async function debuggerCost() {
  await awaits() // warm-up: the JIT, so that the three rounds compare the Debugger only
  const off = await awaits()
  const session = new Session()
  session.connect()
  session.post('Debugger.enable')
  const on = await awaits()
  session.post('Debugger.disable')
  const offAgain = await awaits()
  session.disconnect()
  return { off, on, offAgain }
}

async function child(name) {
  if (name === 'awaits') return debuggerCost()
  if (name.endsWith('+heap')) {
    const mb = Number(process.env.LOCATOR_HEAP_MB ?? 300)
    globalThis.ballast = Array.from({ length: mb * 1024 * 8 }, (_, i) => ({ i, s: `x${i}` }))
  }
  return submitTimes(CASES[name])
}

function run(name) {
  const out = execFileSync(process.execPath, ['--max-old-space-size=4096', fileURLToPath(import.meta.url), '--child', name], {
    encoding: 'utf8',
  })
  return JSON.parse(out)
}

if (isMain(import.meta)) {
  if (process.argv[2] === '--child') {
    console.log(JSON.stringify(await child(process.argv[3])))
  } else {
    const runs = Number(process.env.LOCATOR_RUNS ?? 7)
    const rows = []
    for (const name of Object.keys(CASES)) {
      const samples = Array.from({ length: runs }, () => run(name))
      const m = (key) => median(samples.map((s) => s[key])).toFixed(3)
      rows.push({ case: name, 'first submit (ms)': m('first'), 'second submit (ms)': m('cached'), 'fromModule submit (ms)': m('baseline') })
    }
    console.table(rows)
    const awaitsSamples = Array.from({ length: runs }, () => run('awaits'))
    const a = (key) => median(awaitsSamples.map((s) => s[key])).toFixed(1)
    console.log(`100 000 awaits (CPU ms): Debugger off ${a('off')}, on ${a('on')}, off again ${a('offAgain')}`)
  }
}
