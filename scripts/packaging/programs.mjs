/**
 * Programs the packaging test writes into the consumer project: one to bundle, and a CommonJS
 * one. Each comes with the exact output it must print.
 */

/**
 * The program bundled by every supported bundler (main.mjs + work.mjs). The targets live in
 * work.mjs, which uses its own import (so a target rebuilt from its source would fail), and
 * the entry re-exports them, as the README says a bundled program must.
 */
export const BUNDLE_FILES = {
  'work.mjs': `import { platform } from 'node:os'
import { isMainThread } from 'node:worker_threads'

export function where(label, mainPid) {
  const place = !isMainThread ? 'a worker thread' : process.pid !== mainPid ? 'a child process' : 'the main thread'
  return \`\${label} ran in \${place} on \${platform() === process.platform ? 'this platform' : 'another platform'}\`
}

export function show(label, mainPid) {
  console.log(where(label, mainPid))
}

export function square(x) {
  return x * x
}
`,
  'main.mjs': `import { Thread, ThreadPoolExecutor, isMain, setExcepthook } from '@conc/threading'
import { Pool, Process, ProcessPoolExecutor } from '@conc/multiprocessing'
import { platform } from 'node:os'
import { show, square, where } from './work.mjs'

// A bundled program's targets travel by reference to the bundle: its entry exports them.
export { show, square, where }

// Not exported, and it uses an import: it cannot reach a unit, and the error says what to do.
function notExported() {
  return platform()
}

if (isMain(import.meta)) {
  for (const Runner of [Thread, Process]) {
    const unit = new Runner({ target: show, args: [Runner.name, process.pid] })
    unit.start()
    await unit.join()
    console.log(\`\${Runner.name} exitCode \${unit.exitCode}\`)
  }
  for (const Executor of [ThreadPoolExecutor, ProcessPoolExecutor]) {
    const executor = new Executor({ maxWorkers: 2 })
    try {
      console.log(await executor.submit(where, Executor.name, process.pid))
    } finally {
      await executor.shutdown()
    }
  }
  const pool = new Pool({ processes: 2 })
  try {
    console.log(\`Pool map \${(await pool.map(square, [1, 2, 3])).join(' ')}\`)
    console.log(await pool.apply(where, ['Pool', process.pid]))
  } finally {
    pool.close()
    await pool.join()
  }
  let message = '(no error)'
  setExcepthook(({ excValue }) => {
    message = String(excValue?.message ?? excValue)
  })
  const unit = new Thread({ target: notExported })
  unit.start()
  await unit.join()
  console.log(\`not exported: \${/export 'notExported' from the bundle's entry module/.test(message) ? 'the error says to export it from the bundle' : message}\`)
}
`,
}

export const BUNDLE_OUTPUT = [
  'Thread ran in a worker thread on this platform',
  'Thread exitCode 0',
  'Process ran in a child process on this platform',
  'Process exitCode 0',
  'ThreadPoolExecutor ran in a worker thread on this platform',
  'ProcessPoolExecutor ran in a child process on this platform',
  'Pool map 1 4 9',
  'Pool ran in a child process on this platform',
  'not exported: the error says to export it from the bundle',
]

/**
 * A CommonJS program: `require()` of both packages, targets in `module.exports`, `isMain(module)`
 * (true in the entry, false in a module it requires and in every unit).
 */
export const CJS_FILES = {
  'helper.cjs': `const { isMain } = require('@conc/threading')

module.exports = { helperIsMain: isMain(module) }
`,
  'main.cjs': `const { Thread, ThreadPoolExecutor, isMain } = require('@conc/threading')
const { Process, ProcessPoolExecutor } = require('@conc/multiprocessing')
const { platform } = require('node:os')
const { isMainThread } = require('node:worker_threads')
const { helperIsMain } = require('./helper.cjs')

function where(label, mainPid) {
  const place = !isMainThread ? 'a worker thread' : process.pid !== mainPid ? 'a child process' : 'the main thread'
  return \`\${label} ran in \${place} (isMain \${isMain(module)}) on \${platform() === process.platform ? 'this platform' : 'another platform'}\`
}

function show(label, mainPid) {
  console.log(where(label, mainPid))
}

module.exports = { where, show }

// Exports that Node cannot see statically: found in module.exports all the same.
const extras = {
  loud(label, mainPid) {
    return where(label, mainPid).toUpperCase()
  },
}
Object.assign(module.exports, extras)

async function main() {
  console.log(\`entry isMain \${isMain(module)}, required module isMain \${helperIsMain}\`)
  for (const Runner of [Thread, Process]) {
    const unit = new Runner({ target: show, args: [Runner.name, process.pid] })
    unit.start()
    await unit.join()
    console.log(\`\${Runner.name} exitCode \${unit.exitCode}\`)
  }
  for (const Executor of [ThreadPoolExecutor, ProcessPoolExecutor]) {
    const executor = new Executor({ maxWorkers: 2 })
    try {
      console.log(await executor.submit(where, Executor.name, process.pid))
      console.log(await executor.submit(extras.loud, 'Object.assign', process.pid))
    } finally {
      await executor.shutdown()
    }
  }
}

if (isMain(module)) main()
`,
}

export const CJS_OUTPUT = [
  'entry isMain true, required module isMain false',
  'Thread ran in a worker thread (isMain false) on this platform',
  'Thread exitCode 0',
  'Process ran in a child process (isMain false) on this platform',
  'Process exitCode 0',
  'ThreadPoolExecutor ran in a worker thread (isMain false) on this platform',
  'OBJECT.ASSIGN RAN IN A WORKER THREAD (ISMAIN FALSE) ON THIS PLATFORM',
  'ProcessPoolExecutor ran in a child process (isMain false) on this platform',
  'OBJECT.ASSIGN RAN IN A CHILD PROCESS (ISMAIN FALSE) ON THIS PLATFORM',
]
