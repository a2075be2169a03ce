import { fixture, runNode } from '@conc/testkit'
import { describe, expect, it } from 'vitest'

const backendUrl = new URL('../dist/index.js', import.meta.url).href

interface Report {
  readonly loaded: readonly string[]
  readonly isMain: boolean
  readonly current: string
  readonly threadId?: number
}

describe('start-up cost of @conc/multiprocessing', () => {
  it('importing it loads none of the heavy Node built-ins (streams, worker_threads, child_process, v8); they load on first use', async () => {
    const run = await runNode([fixture('import-cost.mjs')], { backendUrl })
    expect(run.stderr).toBe('')
    const out = JSON.parse(run.stdout) as { main: Report; worker: Report }
    for (const heavy of ['stream', 'worker_threads', 'child_process', 'v8', 'net', 'fs/promises', 'inspector']) {
      expect(out.main.loaded).not.toContain(heavy)
    }
    // Without node:worker_threads loaded, the helpers still know where they run.
    expect(out.main).toMatchObject({ isMain: true, current: 'MainProcess' })
    expect(out.worker).toMatchObject({ isMain: false, current: 'MainProcess' })
  })
})
