import { fixture, runNode } from '@conc/testkit'
import { describe, expect, it } from 'vitest'

const backendUrl = new URL('../dist/index.js', import.meta.url).href

interface Report {
  readonly loaded: readonly string[]
  readonly internal: readonly string[]
  readonly isMain: boolean
  readonly current: string
  readonly threadId?: number
}

describe('start-up cost of @conc/threading', () => {
  it('importing it loads none of the Node built-ins it does not need at once (streams, worker_threads, child_process, v8, net, os, the namespace of node:util as an ES module); they load on first use', async () => {
    const run = await runNode([fixture('import-cost.mjs')], { backendUrl })
    expect(run.stderr).toBe('')
    const out = JSON.parse(run.stdout) as { main: Report; worker: Report }
    for (const heavy of ['stream', 'worker_threads', 'child_process', 'v8', 'net', 'fs/promises', 'inspector', 'os']) {
      expect(out.main.loaded).not.toContain(heavy)
    }
    // `import { inspect } from 'node:util'` would load util's argument parser and MIME types.
    expect(out.main.internal).not.toContain('internal/util/parse_args/parse_args')
    expect(out.main.internal).not.toContain('internal/mime')
    // Without node:worker_threads loaded, the helpers still know where they run.
    expect(out.main).toMatchObject({ isMain: true, current: 'MainThread' })
    expect(out.worker).toMatchObject({ isMain: false, current: `Dummy-${out.worker.threadId}` })
  })

  it('a unit of a module that imports the package loads no Node built-in that a raw new Worker(file) of a file that imports nothing does not, but small ones', async () => {
    const run = await runNode([fixture('unit-builtins.mjs')], { backendUrl })
    expect(run.stderr).toBe('')
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { unit?: string[]; raw?: string[]; kind?: string })
    const unit = lines.find((line) => line.unit !== undefined)?.unit
    const raw = lines.find((line) => line.raw !== undefined)?.raw
    expect(lines.at(-1)?.kind).toBe('thread')
    expect(unit).toBeDefined()
    expect(raw).toContain('events') // the raw peer did report
    const extra = (unit ?? []).filter((name) => !(raw ?? []).includes(name))
    // 'module': a unit's lazy public module loads the library with require() on first use.
    expect(extra.filter((name) => !['os', 'url', 'path', 'util', 'module'].includes(name))).toEqual([])
  })

  it('importing it loads a handful of files, and the socket machinery of connection.Listener() only on its first call', async () => {
    const run = await runNode([fixture('loaded-files.mjs')], { backendUrl })
    expect(run.stderr).toBe('')
    const { onImport, onListener } = JSON.parse(run.stdout) as { onImport: string[]; onListener: string[] }
    // This package's module, core's public module and its few chunks (tsup's ~20 chunks are
    // regrouped by who loads them: core/scripts/merge-chunks.mjs); each file costs Node a load.
    expect(onImport[0]).toBe('threading/dist/index.js')
    expect(onImport).toContain('core/dist/index.js')
    expect(onImport.length).toBeLessThanOrEqual(6)
    // Listener/Client, the handshake, authentication and framing load when first used.
    expect(onListener.length).toBeGreaterThan(0)
    for (const file of onListener) expect(onImport).not.toContain(file)
  })
})
