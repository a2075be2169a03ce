/**
 * How a unit is recognised (the --conc-unit mark) and how @conc tells its own build output from
 * an application bundle that inlined it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { isBundleFile, unitEntry } from '../src/internal/bundle.js'
import { context } from '../src/internal/context.js'
import { UNIT_ARG, claimUnit, isPendingUnit } from '../src/internal/unit-arg.js'
import { isMain } from '../src/is-main.js'

describe('the unit mark', () => {
  const argv = [...process.argv]
  afterEach(() => {
    process.argv.splice(0, process.argv.length, ...argv)
    context.bootstrapping = false
  })

  it('without it, nothing is a unit and nothing changes', () => {
    expect(isPendingUnit()).toBe(false)
    expect(claimUnit()).toBe(false)
    expect(context.bootstrapping).toBe(false)
    expect(process.argv).toEqual(argv)
  })

  it('with it: pending (bootstrapping, isMain false), claimed once, and removed from argv', () => {
    process.argv.push(UNIT_ARG)
    expect(isPendingUnit()).toBe(true)
    expect(context.bootstrapping).toBe(true)
    expect(isMain({ filename: process.argv[1] ?? '' })).toBe(false)
    expect(claimUnit()).toBe(true)
    expect(process.argv).toEqual(argv)
    expect(claimUnit()).toBe(false)
  })
})

describe('bundle or package', () => {
  const tmp = { dir: mkdtempSync(join(tmpdir(), 'conc-bundle-')) }
  afterEach(() => rmSync(tmp.dir, { recursive: true, force: true }))

  it("a file with one of @conc's entry files beside it is a package's build; without, a bundle", () => {
    for (const [dir, shipped] of [
      ['core', 'unit.js'],
      ['threading', 'entry/worker.js'],
      ['multiprocessing', 'entry/child.js'],
      ['bundle', undefined],
    ] as const) {
      mkdirSync(join(tmp.dir, dir, 'entry'), { recursive: true })
      if (shipped !== undefined) writeFileSync(join(tmp.dir, dir, shipped), '')
      expect(isBundleFile(join(tmp.dir, dir, 'index.js')), dir).toBe(shipped === undefined)
    }
  })

  it("a backend's unit runs its entry file when the package ships it, else the file holding the backend (the bundle)", () => {
    for (const [dir, shipped] of [
      ['installed', true],
      ['bundled', false],
    ] as const) {
      mkdirSync(join(tmp.dir, dir, 'entry'), { recursive: true })
      if (shipped) writeFileSync(join(tmp.dir, dir, 'entry', 'worker.js'), '')
      const self = pathToFileURL(join(tmp.dir, dir, 'index.js')).href
      const entry = unitEntry(new URL('./entry/worker.js', self), self)
      expect(entry.href, dir).toBe(shipped ? new URL('./entry/worker.js', self).href : self)
    }
  })
})
