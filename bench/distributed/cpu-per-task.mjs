// CPU time per task of each side (client, worker host, redis-server), for @conc and the raw BullMQ
// program, on bursts of no-op tasks: wall time on a shared machine is noisy, CPU time per task
// much less so. Also the sequential round trip p50. Not part of `pnpm bench:distributed`.
//   node bench/distributed/cpu-per-task.mjs [burst=4000] [rounds=3] [sequential=300]
// PROF_DIR=dir: the conc host writes a CPU profile of each of its threads there (--cpu-prof).
import { readFileSync, readdirSync } from 'node:fs'
import { ProcessPoolExecutor, fromModule } from '@conc/distributed'
import { APP, startConcHost, startRawHost, startRedis } from './cluster.mjs'
import { RawClient } from './raw-client.mjs'
import * as tasks from './tasks.mjs'

const [N = 4000, ROUNDS = 3, SEQ = 300] = process.argv.slice(2).map(Number)
const noop = fromModule(tasks.noop, new URL('./tasks.mjs', import.meta.url), 'noop')
const TICK = 100 // USER_HZ
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICK
}
const self = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const redis = await startRedis()
const redisPid = Number(readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/)[0])
const cq = `cpu-conc-${process.pid}`
const rq = `cpu-raw-${process.pid}`
const PROF = process.env.PROF_DIR
const ch = await startConcHost(redis, cq, 8, 'threads', PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : [])
const rh = await startRawHost(redis, rq, 8, 'inline')
const ex = new ProcessPoolExecutor({ connection: redis.url, queue: cq, app: APP })
const client = new RawClient(redis, rq)
await client.ready()
// setpriv execs the command: the child's pid is the host's.
const hostPid = { conc: ch.child.pid, raw: rh.child.pid }
const run = {
  conc: (n) => Promise.all(Array.from({ length: n }, (_, i) => ex.submit(noop, i))),
  raw: (n) => client.run(Array.from({ length: n }, (_, i) => ({ name: 'noop', data: { x: i } }))),
  seqConc: async (i) => ex.submit(noop, i),
  seqRaw: async (i) => client.one('noop', { x: i }),
}
await run.conc(500)
await run.raw(500)
const acc = { conc: [], raw: [] }
for (let r = 0; r < ROUNDS; r++) {
  for (const who of r % 2 ? ['raw', 'conc'] : ['conc', 'raw']) {
    const a = { client: self(), host: cpuMs(hostPid[who]), redis: cpuMs(redisPid), t: performance.now() }
    const got = await run[who](N)
    if (got.length !== N || got[N - 1] !== N - 1) throw new Error('bad results')
    await new Promise((r) => setTimeout(r, 300)) // let deferred work (removals) finish
    const s = { client: self() - a.client, host: cpuMs(hostPid[who]) - a.host, redis: cpuMs(redisPid) - a.redis, wall: performance.now() - a.t - 300 }
    acc[who].push(s)
  }
}
const out = {}
for (const who of ['conc', 'raw']) {
  const per = (k) => (median(acc[who].map((s) => s[k])) / N).toFixed(3)
  out[who] = { 'tasks/s': Math.round(N / (median(acc[who].map((s) => s.wall)) / 1000)), 'client ms/task': per('client'), 'host ms/task': per('host'), 'redis ms/task': per('redis') }
}
// Where the conc host's CPU went since it started: its main thread, and the others (local workers, V8's).
const threads = { main: 0, others: 0 }
for (const tid of readdirSync(`/proc/${hostPid.conc}/task`)) {
  const f = readFileSync(`/proc/${hostPid.conc}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')
  threads[Number(tid) === hostPid.conc ? 'main' : 'others'] += ((Number(f[11]) + Number(f[12])) * 1000) / TICK
}
out['conc host CPU ms by thread'] = threads
const seq = { conc: [], raw: [] }
for (let i = 0; i < SEQ; i++) {
  for (const who of i % 2 ? ['raw', 'conc'] : ['conc', 'raw']) {
    const t = performance.now()
    const y = await run[who === 'conc' ? 'seqConc' : 'seqRaw'](i)
    seq[who].push(performance.now() - t)
    if (y !== i) throw new Error('bad seq')
  }
}
for (const who of ['conc', 'raw']) out[who]['seq p50 ms'] = median(seq[who]).toFixed(2)
console.log(JSON.stringify({ load: (await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' '), ...out }, null, 1))
await ex.shutdown({ wait: false, cancelFutures: true })
await client.close()
if (PROF) {
  ch.child.kill('SIGTERM')
  await ch.exited
} else await ch.stop()
await rh.stop()
await redis.stop()
process.exit(0)
