/**
 * The demo's entry: `node dist/main.js [--only course|compare|queue|manager|distributed] [--limit N]`
 * (`distributed` runs only when asked: it starts a redis-server and two worker hosts). Every worker thread
 * and child process imports the module that defines its target; the entry code below is guarded
 * with isMain(import.meta), Python's `if __name__ == "__main__":`, so it runs only here.
 */
import { parseArgs } from 'node:util'
import { isMain } from '@conc/threading'
import { runComparison } from './compare.js'
import { runCourse } from './course.js'
import { runDistributed } from './distributed.js'
import { runProducerConsumer } from './producer-consumer.js'
import { runSharedCounter } from './shared-counter.js'

const USAGE = 'usage: node dist/main.js [--only course|compare|queue|manager|distributed] [--limit N]'
const PARTS = ['course', 'compare', 'queue', 'manager', 'distributed']

/** Runs the parts of the demo that `argv` asks for. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { only: { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  const only = values.only
  const limit = Number(values.limit ?? 3_000_000)
  if (values.help || (only !== undefined && !PARTS.includes(only)) || !(limit >= 2)) {
    console.log(USAGE)
    process.exitCode = values.help ? 0 : 2
    return
  }
  if (only === undefined || only === 'course') await runCourse()
  if (only === undefined || only === 'compare') await runComparison(limit)
  if (only === undefined || only === 'queue') await runProducerConsumer()
  if (only === undefined || only === 'manager') await runSharedCounter()
  if (only === 'distributed') await runDistributed(limit)
  else if (only === undefined) console.log('\nThe same comparison on worker hosts through Redis: add --only distributed.')
}

if (isMain(import.meta)) await main(process.argv.slice(2))
