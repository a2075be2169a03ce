import { fixture, runNode } from '@conc/testkit'
import { describe, expect, it } from 'vitest'

const backendUrl = new URL('../dist/index.js', import.meta.url).href

interface Report {
  readonly loaded: readonly string[]
  readonly isMain: boolean
  readonly current: string
  readonly threadId?: number
}

describe('start-up cost of @conc/threading', () => {
  it('importing it loads none of the heavy Node built-ins (streams, worker_threads, child_process, v8); they load on first use', async () => {
    const run = await runNode([fixture('import-cost.mjs')], { backendUrl })
    expect(run.stderr).toBe('')
    const out = JSON.parse(run.stdout) as { main: Report; worker: Report }
    for (const heavy of ['stream', 'worker_threads', 'child_process', 'v8', 'net', 'fs/promises', 'inspector']) {
      expect(out.main.loaded).not.toContain(heavy)
    }
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
    expect(extra.filter((name) => !['os', 'url', 'path', 'util'].includes(name))).toEqual([])
  })
})
