// Benchmark: what `submit` and `Queue.put` pay to look for primitives in their arguments. Once a
// primitive (any Lock, Queue, ...) exists in a process, every task's arguments and every queued
// item must be searched for primitives (they travel as handles, or are refused in a message);
// before that, nothing is searched. This times the synchronous part of `submit` (what the caller
// waits for) and `Queue.put` + `get` of large plain payloads, without and with a primitive alive.
//
//   node bench/submit-walk.mjs [--json]
//
// Each variant runs in a fresh process (the "a primitive exists" flag is per process, for good).
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { deserialize, serialize } from 'node:v8'
import { Lock, Queue, ThreadPoolExecutor, isMain } from '@conc/threading'

export function nothing() {
  return 0
}

const PAYLOADS = {
  '900 objects': () => Array.from({ length: 300 }, (_, i) => ({ i, tags: ['a', 'b'] })),
  '9,000 objects': () => Array.from({ length: 3000 }, (_, i) => ({ i, tags: ['a', 'b'] })),
  '90,000 objects': () => Array.from({ length: 30000 }, (_, i) => ({ i, tags: ['a', 'b'] })),
  '100,000 numbers': () => Array.from({ length: 100_000 }, (_, i) => i),
  '1 MB Float64Array in an object': () => ({ data: new Float64Array(131_072), name: 'x' }),
  '1,000 strings of 1 KB': () => Array.from({ length: 1000 }, (_, i) => `${i}`.padEnd(1024, '.')),
  '1,000 references to one object of 1,000 objects': () => {
    const shared = Array.from({ length: 1000 }, (_, i) => ({ i }))
    return Array.from({ length: 1000 }, () => ({ shared }))
  },
  'a cycle (a doubly linked list of 1,000 nodes)': () => {
    const head = { prev: null, next: null, i: 0 }
    let node = head
    for (let i = 1; i < 1000; i++) node = node.next = { prev: node, next: null, i }
    return head
  },
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Median ms of the synchronous part of one `submit(nothing, payload)`. */
async function submitMs(executor, payload) {
  const samples = []
  for (let round = 0; round < 9; round++) {
    const futures = []
    const started = performance.now()
    for (let i = 0; i < 20; i++) futures.push(executor.submit(nothing, payload))
    samples.push((performance.now() - started) / 20)
    await Promise.all(futures)
  }
  return median(samples.slice(2))
}

/** Median ms of `put` + `get` of one item on a thread Queue (put serializes it into shared memory). */
async function queueMs(queue, payload) {
  const samples = []
  for (let round = 0; round < 9; round++) {
    const started = performance.now()
    for (let i = 0; i < 10; i++) {
      await queue.put(payload)
      await queue.get()
    }
    samples.push((performance.now() - started) / 10)
  }
  return median(samples.slice(2))
}

/** Median ms of `v8.serialize` + `deserialize` of the item: what a queue must pay in any case. */
function copyMs(payload) {
  const samples = []
  for (let round = 0; round < 9; round++) {
    const started = performance.now()
    for (let i = 0; i < 10; i++) deserialize(serialize(payload))
    samples.push((performance.now() - started) / 10)
  }
  return median(samples.slice(2))
}

async function measure(withPrimitive) {
  const queue = withPrimitive ? new Queue() : undefined
  if (withPrimitive) new Lock()
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 })
  await executor.submit(nothing)
  const rows = {}
  for (const [name, make] of Object.entries(PAYLOADS)) {
    const payload = make()
    rows[name] = { submit: await submitMs(executor, payload), ...(queue ? { queue: await queueMs(queue, payload), copy: copyMs(payload) } : {}) }
  }
  await executor.shutdown()
  return rows
}

if (isMain(import.meta)) {
  const { values } = parseArgs({ options: { json: { type: 'boolean' }, variant: { type: 'string' } } })
  if (values.variant !== undefined) {
    console.log(JSON.stringify(await measure(values.variant === 'primitive')))
  } else {
    const run = (variant) => JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--variant', variant], { encoding: 'utf8' }))
    const without = run('none')
    const alive = run('primitive')
    if (values.json) {
      console.log(JSON.stringify({ without, alive }, null, 2))
    } else {
      const f = (ms) => (ms < 0.1 ? ms.toFixed(4) : ms.toFixed(3))
      console.log('| payload | submit, no primitive made (ms) | submit, a primitive alive (ms) | Queue put + get (ms) | v8 serialize + deserialize, for reference (ms) |')
      console.log('| --- | ---: | ---: | ---: | ---: |')
      for (const name of Object.keys(PAYLOADS)) {
        console.log(`| ${name} | ${f(without[name].submit)} | ${f(alive[name].submit)} | ${f(alive[name].queue)} | ${f(alive[name].copy)} |`)
      }
    }
  }
}
