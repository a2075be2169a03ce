/**
 * A thread unit killed while threads of its own (its pool's workers, threads it started) hold what
 * the program gave it: Node ends those threads with it, and nobody is left to let go of their
 * copies of a pipe end or of a lock they held. The program recovers them as it does the unit's own.
 */
import { captureWarnings } from '@conc/testkit'
import { EOFError, Event, Lock, Pipe, Thread, fromModule } from '@conc/threading'
import { describe, expect, it } from 'vitest'
import * as fixtures from './fixtures/grandchild-targets.mjs'

const fixtureUrl = new URL('./fixtures/grandchild-targets.mjs', import.meta.url)
const target = (name: keyof typeof fixtures) => fromModule(fixtures[name], fixtureUrl, name)

describe('a thread unit killed while its own threads hold what it was given', () => {
  for (const holder of ['poolHolds', 'threadHolds'] as const) {
    it(`${holder}: the reader of a pipe end they held sees the end; a lock they held is free`, async () => {
      const [reader, writer] = Pipe(false)
      const lock = new Lock()
      const ready = new Event()
      const unit = new Thread({ target: target(holder), args: [writer, lock, ready] })
      unit.start()
      await writer.close()
      expect(await ready.wait(30)).toBe(true)
      expect(await reader.poll(0.2)).toBe(false)
      expect(await lock.acquire({ timeout: 0.1 })).toBe(false)
      await captureWarnings(async (warnings) => {
        unit.kill()
        await unit.join()
        expect(await reader.poll(5)).toBe(true)
        await expect(reader.recv()).rejects.toBeInstanceOf(EOFError)
        expect(await lock.acquire({ timeout: 5 })).toBe(true)
        await lock.release()
        // The release says so, as for a lock its unit held.
        expect(warnings.map((w) => w.code)).toContain('CONC_ABANDONED_LOCK')
      })
    }, 60_000)
  }
})
