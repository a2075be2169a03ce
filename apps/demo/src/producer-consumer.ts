/**
 * Producers and consumers sharing a `Queue`, the classic program of Python's `queue` and
 * `multiprocessing` lessons, run twice: with threads and with processes. The program is written
 * once against "a backend module"; the two runs differ only in which module is imported, as
 * `import threading` vs `import multiprocessing` would in Python:
 *
 *   import * as backend from '@conc/threading'        // threads, shared memory
 *   import * as backend from '@conc/multiprocessing'  // processes, the parent owns the queue
 *
 * The targets are exported from this module, so every unit imports it and finds them by reference.
 *
 * A queue hands each item to exactly one consumer, in order, but it is not fair between consumers
 * (Python's `queue.Queue` is not either): a consumer that comes back for the next item at once
 * can take them all, and with threads it does, since a waiting thread spins briefly before it
 * sleeps. So the consumers here spend a moment on each item, as a real consumer would (writing it
 * somewhere), and a `Barrier` lets every unit begin only when all have started, so that how long
 * a unit takes to start does not decide who gets the items either.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import * as multiprocessing from '@conc/multiprocessing'
import * as threading from '@conc/threading'
import { wrap } from './report.js'

type Item = { readonly producer: number; readonly seq: number } | null

/** What the program needs from a backend module: a unit class and the primitives. */
type Backend = typeof threading | typeof multiprocessing

/** What `Thread` and `Process` have in common: the same constructor shape. */
type Runner = new <F extends threading.AnyFunction>(options: threading.RunnerOptions<F>) => { start(): void; join(): Promise<void> }

/** How long a consumer works on each item, in ms. */
const WORK_MS = 5

/** A producer puts `count` numbered items on the queue (waiting when it is full). */
export async function producer(start: threading.Barrier, queue: threading.Queue<Item>, id: number, count: number): Promise<void> {
  await start.wait()
  for (let seq = 0; seq < count; seq++) await queue.put({ producer: id, seq })
}

/** A consumer takes items until it gets `null`, works on each, and reports what it took, in order. */
export async function consumer(
  start: threading.Barrier,
  queue: threading.Queue<Item>,
  results: threading.Queue<[string, Item[]]>,
  name: string,
): Promise<void> {
  await start.wait()
  const taken: Item[] = []
  for (let item = await queue.get(); item !== null; item = await queue.get()) {
    taken.push(item)
    await sleep(WORK_MS)
  }
  await results.put([name, taken])
}

const PRODUCERS = 3
const CONSUMERS = 2
const ITEMS = 20

/** Runs the program with `backend`; returns a summary line per check. */
async function program(backend: Backend): Promise<string[]> {
  const Unit: Runner = 'Thread' in backend ? backend.Thread : backend.Process
  const start = new backend.Barrier(CONSUMERS + PRODUCERS)
  const queue = new backend.Queue<Item>(4)
  const results = new backend.Queue<[string, Item[]]>()
  const consumers = Array.from({ length: CONSUMERS }, (_, i) => new Unit({ target: consumer, args: [start, queue, results, `consumer-${i + 1}`] }))
  const producers = Array.from({ length: PRODUCERS }, (_, i) => new Unit({ target: producer, args: [start, queue, i + 1, ITEMS] }))
  for (const unit of [...consumers, ...producers]) unit.start()
  for (const unit of producers) await unit.join()
  for (let i = 0; i < CONSUMERS; i++) await queue.put(null)
  for (const unit of consumers) await unit.join()

  const taken: Item[] = []
  const lines: string[] = []
  let inOrder = true
  for (let i = 0; i < CONSUMERS; i++) {
    const [name, items] = await results.get()
    lines.push(`  ${name} took ${items.length} items`)
    taken.push(...items)
    // FIFO: what one consumer took from one producer comes in the order it was put.
    for (let p = 1; p <= PRODUCERS; p++) {
      const seqs = items.filter((item) => item?.producer === p).map((item) => item!.seq)
      inOrder &&= seqs.every((seq, k) => k === 0 || seq > seqs[k - 1]!)
    }
  }
  const keys = taken.map((item) => `${item?.producer}:${item?.seq}`)
  const once = new Set(keys).size === keys.length && keys.length === PRODUCERS * ITEMS
  lines.sort()
  lines.push(`${taken.length} of ${PRODUCERS * ITEMS} items consumed, ${once ? 'each exactly once' : 'NOT each exactly once'}, ${inOrder ? 'in order per producer' : 'NOT in order'}`)
  return lines
}

const runs: readonly { readonly title: string; readonly backend: Backend }[] = [
  { title: "import * as backend from '@conc/threading'        (threads: the queue is in shared memory)", backend: threading },
  { title: "import * as backend from '@conc/multiprocessing'  (processes: the parent owns the queue)", backend: multiprocessing },
]

/** Runs the producer/consumer program with threads, then with processes. */
export async function runProducerConsumer(): Promise<void> {
  console.log(`\n=== Producer/consumer: ${PRODUCERS} producers x ${ITEMS} items, ${CONSUMERS} consumers, one Queue(maxsize=4)`)
  console.log(`Each consumer works ${WORK_MS} ms on an item; all units begin together (a Barrier).`)
  for (const { title, backend } of runs) {
    console.log(`--- ${title}`)
    const start = performance.now()
    const lines = await program(backend)
    for (const line of lines) console.log(line)
    console.log(`  (${((performance.now() - start) / 1000).toFixed(2)} s)`)
  }
  const note =
    "A queue gives each item to exactly one consumer, in order, but it is not fair between consumers (Python's " +
    'queue.Queue is not either): a consumer that asked again at once, doing no work, could take every item, and ' +
    'with threads it would, since a waiting thread spins a moment before it sleeps. How the items split depends ' +
    "on the scheduler; what a queue guarantees is checked on each run's last line."
  console.log(`\n${wrap(note).join('\n')}`)
}
