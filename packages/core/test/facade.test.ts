/**
 * The lazy public module, `dist/lazy.js` (issue 8 §4, scripts/lazy-facade.mjs): what its build
 * refuses, that it loads the library natively, and what it says under a require hook that would
 * give it a second copy. How the exports behave, and which units get it, is in the runner contract.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { writeFacade } from '../../../scripts/lazy-facade.mjs'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const tmp = { path: mkdtempSync(join(tmpdir(), 'conc-facade-')) }
afterAll(() => rmSync(tmp.path, { recursive: true, force: true }))

/** Programs run here start Node (one under tsx, which compiles on a cold cache): generous bounds. */
const PROGRAM_MS = 60_000

describe("the lazy public module (the 'conc-lazy' condition)", { timeout: 2 * PROGRAM_MS }, () => {
  it('refuses a second copy of the library: under a require hook that compiles ES modules (tsx), the first use says so', () => {
    const program = join(tmp.path, 'hooked.mjs')
    writeFileSync(program, `
      const core = await import(${JSON.stringify(pathToFileURL(join(dist, 'lazy.js')).href)})
      console.log(core.FIRST_COMPLETED, typeof core.isMain(import.meta))
      try { new core.Lock(); console.log('loaded') } catch (error) { console.log(error.message) }
    `)
    const out = execFileSync(process.execPath, ['--import', 'tsx', program], { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: PROGRAM_MS }).trim().split('\n')
    expect(out[0]).toBe('FIRST_COMPLETED boolean')
    expect(out[1]).toContain(`@conc: ${join(dist, 'index.js')} was loaded by a require() hook that compiles ES modules`)
    expect(out[1]).toContain('without --conditions=conc-lazy')
  })

  it('without a hook, the first use loads the library natively: the classes are those of the default module', () => {
    const program = join(tmp.path, 'native.mjs')
    writeFileSync(program, `
      const lazy = await import(${JSON.stringify(pathToFileURL(join(dist, 'lazy.js')).href)})
      const lock = new lazy.Lock()
      const eager = await import(${JSON.stringify(pathToFileURL(join(dist, 'index.js')).href)})
      console.log(JSON.stringify([lazy.Lock === eager.Lock, lock instanceof eager.Lock, lazy.wait === eager.wait]))
    `)
    expect(JSON.parse(execFileSync(process.execPath, [program], { encoding: 'utf8', timeout: PROGRAM_MS }))).toEqual([true, true, true])
  })

  it('the build refuses an export it can neither stand in for nor copy (a symbol of its own)', () => {
    const dir = join(tmp.path, 'constant', 'dist')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'index.js'), "export const kOwn = Symbol('own')\nexport function f() {}\n")
    writeFileSync(join(dir, 'light.js'), 'export function f() {}\n')
    expect(() => writeFacade({ dist: dir, light: './light.js' })).toThrow("lazy-facade: export 'kOwn' of")
  })

  it('the build writes stand-ins that load the implementation once, on first use', () => {
    const dir = join(tmp.path, 'counted', 'dist')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, '..', 'package.json'), '{"type":"module"}')
    writeFileSync(join(dir, 'index.js'), "globalThis.loads = (globalThis.loads ?? 0) + 1\nexport const ANSWER = 42\nexport const kShared = Symbol.for('shared')\nexport class Box { constructor(v) { this.v = v } static of(v) { return new Box(v) } }\nexport function twice(x) { return 2 * x }\n")
    writeFileSync(join(dir, 'light.js'), '')
    // Constants are copied; the functions and classes load on first use.
    const exports = writeFacade({ dist: dir, light: './light.js' }) as { name: string; from: string }[]
    expect(Object.fromEntries(exports.map((e) => [e.name, e.from]))).toEqual({ ANSWER: 'value', kShared: 'value', Box: 'impl', twice: 'impl' })
    const program = `
      const m = await import(${JSON.stringify(pathToFileURL(join(dir, 'lazy.js')).href)})
      const before = globalThis.loads ?? 0
      const box = m.Box.of(2)
      console.log(JSON.stringify([before, globalThis.loads, box instanceof m.Box, m.twice(box.v), globalThis.loads, m.ANSWER, m.kShared === Symbol.for('shared')]))
    `
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', timeout: PROGRAM_MS }))
    expect(out).toEqual([0, 1, true, 4, 1, 42, true])
  })
})
