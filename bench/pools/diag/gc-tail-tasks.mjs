// Tasks for gc-tail.mjs, run in a pool's worker (and called directly in the program): a trivial
// task, and the young-generation collections of the calling thread (start times and ends on the
// shared `performance.timeOrigin` clock) with the bytes it allocated, between gcStart() and gcStop().
import { getHeapSpaceStatistics, GCProfiler } from 'node:v8'
import { PerformanceObserver } from 'node:perf_hooks'

export const inc = (x) => x + 1

const gcs = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([performance.timeOrigin + e.startTime, performance.timeOrigin + e.startTime + e.duration])
}).observe({ entryTypes: ['gc'] })

const newSpaceUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_used_size
let profiler
let usedAtStart = 0

export function gcStart() {
  gcs.length = 0
  profiler = new GCProfiler()
  profiler.start()
  usedAtStart = newSpaceUsed()
  return 0
}

/** Bytes allocated in the young generation between start and now: what each collection took out, plus what is left. */
function youngBytes(statistics, start, end) {
  const used = (stats) => stats.heapSpaceStatistics.find((s) => s.spaceName === 'new_space').spaceUsedSize
  let bytes = 0
  let before = start
  for (const s of statistics) {
    bytes += used(s.beforeGC) - before
    before = used(s.afterGC)
  }
  return bytes + end - before
}

export function gcStop() {
  const end = newSpaceUsed()
  const { statistics } = profiler.stop()
  return { gcs: gcs.slice(), bytes: youngBytes(statistics, usedAtStart, end), collections: statistics.length }
}
