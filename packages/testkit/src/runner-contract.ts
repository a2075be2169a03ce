/**
 * The runner contract, written once and run against every backend (CPython does the same with its
 * `processes`/`threads` test mixins). Items refer to python-api.md §5 A–D.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { TSX_PROGRAM_TIMEOUT_MS, fixture, fixtureUrl, pidAlive, readJson, runNode, tempDir, testTimeoutFor, waitFor } from './harness.ts'

/** A runner as a test sees it (the members of `Thread` / `Process`). */
export interface RunnerUnderTest {
  name: string
  daemon: boolean
  readonly ident: number | null
  readonly exitCode: number | null
  start(): void
  join(timeout?: number | null): Promise<void>
  isAlive(): boolean
  terminate(): void
  kill(): void
  toString(): string
  [Symbol.asyncDispose](): Promise<void>
}

// Loosely typed on purpose: the suite checks runtime behaviour, including misuse.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RunnerCtor = new (options?: any) => RunnerUnderTest

export interface BackendUnderTest {
  readonly kind: 'thread' | 'process'
  readonly Runner: RunnerCtor
  /** File URL of the backend package's entry (dist/index.js), for units and fixture programs. */
  readonly backendUrl: string
  readonly lib: {
    isMain(meta: ImportMeta): boolean
    fromModule<F extends (...args: never[]) => unknown>(fn: F, module: string | URL, exportName?: string): F
    setExcepthook(hook: ((args: { excType: string; excValue: unknown; thread: unknown }) => void) | null): void
    readonly RuntimeError: new (...args: never[]) => Error
    readonly TargetNotFoundError: new (...args: never[]) => Error
    isConcError(value: unknown): boolean
  }
  /** The live units this isolate started (`enumerate()` minus main / `activeChildren()`). */
  readonly active: () => readonly unknown[]
}

type Targets = Record<string, (...args: never[]) => unknown> & {
  Writer: new (path: string, words: string[]) => RunnerUnderTest
}

const MESSAGES = {
  thread: {
    startTwice: 'threads can only be started once',
    joinBeforeStart: 'cannot join thread before it is started',
    daemonAfterStart: 'cannot set daemon status of active thread',
    joinCurrent: 'cannot join current thread',
    header: (name: string) => `Exception in thread ${name}:`,
  },
  process: {
    startTwice: 'cannot start a process twice',
    joinBeforeStart: 'can only join a started process',
    daemonAfterStart: 'process has already started',
    joinCurrent: 'can only join a child process',
    header: (name: string) => `Process ${name}:`,
  },
} as const

export function defineRunnerContract(backend: BackendUnderTest): void {
  const { Runner, lib, kind } = backend
  const messages = MESSAGES[kind]
  let targets: Targets
  let tmp: ReturnType<typeof tempDir>
  const started: RunnerUnderTest[] = []

  /** A runner whose target is exported from the fixture module (by explicit reference). */
  const make = (name: string, options: Record<string, unknown> = {}): RunnerUnderTest => {
    const target = targets[name]
    if (target === undefined) throw new Error(`no fixture target ${name}`)
    const runner = new Runner({ ...options, target: lib.fromModule(target, fixtureUrl('targets.mjs'), name) })
    started.push(runner)
    return runner
  }
  const run = (args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number) =>
    runNode(args, { backendUrl: backend.backendUrl, ...(env === undefined ? {} : { env }), ...(timeoutMs === undefined ? {} : { timeoutMs }) })

  beforeAll(async () => {
    process.env.CONC_BACKEND = backend.backendUrl
    targets = (await import(fixtureUrl('targets.mjs'))) as Targets
    tmp = tempDir()
  })
  afterEach(async () => {
    lib.setExcepthook(null)
    for (const runner of started.splice(0)) {
      if (runner.isAlive()) {
        runner.kill()
        await runner.join()
      }
    }
  })
  afterAll(() => tmp.cleanup())

  describe(`${kind} lifecycle (§5 A)`, () => {
    it('is not alive and has no exit code before start; alive after; exit code 0 after join (A1)', async () => {
      const out = tmp.file('a1.json')
      const unit = make('sleepThenWrite', { args: [out, 0.2] })
      expect(unit.isAlive()).toBe(false)
      expect(unit.exitCode).toBeNull()
      expect(unit.ident).toBeNull()
      expect(backend.active()).not.toContain(unit)
      unit.start()
      expect(unit.isAlive()).toBe(true)
      expect(unit.exitCode).toBeNull()
      expect(typeof unit.ident).toBe('number')
      expect(unit.ident).toBeGreaterThan(0)
      expect(backend.active()).toContain(unit)
      await unit.join()
      expect(unit.exitCode).toBe(0)
      expect(unit.isAlive()).toBe(false)
      expect(backend.active()).not.toContain(unit)
      expect(readJson(out)).toBe('done')
      expect(typeof unit.ident).toBe('number')
    })

    it('passes args by value, with their types, from an array (A1, A2)', async () => {
      const out = tmp.file('a2.json')
      const unit = make('echoArgs', { args: [out, 1, 1.5, 'Edson', true, null, [1, 2], { a: 'b' }] })
      unit.start()
      await unit.join()
      expect(readJson(out)).toEqual([
        ['number', 1],
        ['number', 1.5],
        ['string', 'Edson'],
        ['boolean', true],
        ['object', null],
        ['object', [1, 2]],
        ['object', { a: 'b' }],
      ])
    })

    it('waits for an async target to settle', async () => {
      const out = tmp.file('async.json')
      const unit = make('sleepThenWrite', { args: [out, 0.1] })
      unit.start()
      await unit.join()
      expect(existsSync(out)).toBe(true)
    })

    it('refuses misuse with the same error class and Python message (A3)', async () => {
      const unit = make('sleep', { args: [0] })
      await expect(unit.join()).rejects.toThrow(new lib.RuntimeError(messages.joinBeforeStart as never))
      await expect(unit.join()).rejects.toBeInstanceOf(lib.RuntimeError)
      unit.start()
      expect(() => unit.start()).toThrow(lib.RuntimeError)
      expect(() => unit.start()).toThrow(messages.startTwice)
      expect(() => {
        unit.daemon = true
      }).toThrow(messages.daemonAfterStart)
      await unit.join()
      expect(() => unit.start()).toThrow(messages.startTwice)
    })

    it('rejects a non-function target and non-array args with a TypeError', () => {
      expect(() => new Runner({ target: 5 })).toThrow(TypeError)
      expect(() => new Runner({ target: 5 })).toThrow(/target must be a function/)
      expect(() => new Runner({ target: () => 1, args: 5 })).toThrow(TypeError)
      expect(() => new Runner({ target: () => 1, args: 'abc' })).toThrow(/args must be an array/)
      try {
        new Runner({ target: 'nope' })
      } catch (error) {
        expect(lib.isConcError(error)).toBe(true)
      }
    })

    it('defaults daemon to false, honours daemon: true, shows it in the repr (A4)', () => {
      const plain = make('sleep', { args: [0] })
      expect(plain.daemon).toBe(false)
      expect(plain.toString()).not.toContain('daemon')
      const daemon = make('sleep', { args: [0], daemon: true })
      expect(daemon.daemon).toBe(true)
      expect(daemon.toString()).toContain('daemon')
      plain.daemon = true
      expect(plain.daemon).toBe(true)
    })

    it('names units as Python does (A5)', () => {
      expect(new Runner({ name: 'worker-a' }).name).toBe('worker-a')
      expect(new Runner({ name: 123 }).name).toBe('123')
      if (kind === 'thread') {
        expect(new Runner({ name: '' }).name).toMatch(/^Thread-\d+$/)
        expect(new Runner().name).toMatch(/^Thread-\d+$/)
        expect(new Runner({ target: function func() {} }).name).toMatch(/^Thread-\d+ \(func\)$/)
        const a = Number(/\d+/.exec(new Runner().name)?.[0])
        new Runner({ name: 'named' }) // a given name does not use up a number
        expect(Number(/\d+/.exec(new Runner().name)?.[0])).toBe(a + 1)
      } else {
        expect(new Runner({ name: '' }).name).toMatch(/^Process-\d+$/)
        expect(new Runner({ target: function func() {} }).name).toMatch(/^Process-\d+$/)
        class MyProc extends Runner {}
        expect(new MyProc().name).toMatch(/^MyProc-\d+$/)
      }
    })

    it('join(timeout) returns after about timeout seconds, leaving the unit alive (A6, A7)', async () => {
      const unit = make('sleep', { args: [30] })
      unit.start()
      const t0 = performance.now()
      await unit.join(0.3)
      const waited = performance.now() - t0
      expect(waited).toBeGreaterThanOrEqual(250)
      expect(waited).toBeLessThan(5000)
      expect(unit.isAlive()).toBe(true)
      const t1 = performance.now()
      await unit.join(0)
      await unit.join(-1)
      expect(performance.now() - t1).toBeLessThan(1000)
      expect(unit.isAlive()).toBe(true)
      unit.terminate()
      await unit.join()
      expect(unit.isAlive()).toBe(false)
    })

    it('join(timeout) longer than a Node timer allows (30 days) waits while the unit is alive', async () => {
      const unit = make('sleep', { args: [30] })
      unit.start()
      const joined = unit.join(2592000).then(() => 'joined')
      const outcome = await Promise.race([joined, new Promise((resolve) => setTimeout(resolve, 400, 'pending'))])
      expect(outcome).toBe('pending')
      expect(unit.isAlive()).toBe(true)
      unit.terminate()
      expect(await joined).toBe('joined')
      expect(unit.isAlive()).toBe(false)
    })

    it('join(timeout) rejects a timeout that is not a number with a TypeError showing it', async () => {
      const unit = make('sleep', { args: [0.1] })
      unit.start()
      const error = (await unit.join('1' as never).catch((e: unknown) => e)) as Error & { code?: string }
      expect(error).toBeInstanceOf(TypeError)
      expect(error.code).toBe('ERR_CONC_INVALID_ARG_TYPE')
      expect(error.message).toContain("'1' (string)")
      await unit.join()
    })

    it('can be joined many times, also concurrently', async () => {
      const unit = make('sleep', { args: [0.1] })
      unit.start()
      await Promise.all([unit.join(), unit.join(), unit.join(10)])
      await unit.join()
      expect(unit.exitCode).toBe(0)
    })

    it('runs an exported subclass that overrides run(), with its fields, as current unit (A10)', async () => {
      const out = tmp.file('subclass.json')
      const unit = new targets.Writer(out, ['a', 'b'])
      started.push(unit)
      unit.start()
      await unit.join()
      expect(unit.exitCode).toBe(0)
      expect(readJson(out)).toEqual({ words: ['a', 'b'], name: 'writer', self: true })
    })

    it('tells the unit who it is; isMain is false inside it', async () => {
      const out = tmp.file('self.json')
      const unit = make('selfInfo', { args: [out], name: 'inspector', daemon: true })
      unit.start()
      await unit.join()
      const info = readJson(out) as Record<string, unknown>
      expect(info).toMatchObject({ name: 'inspector', daemon: true, alive: true, isMain: false })
      expect(info.ident).toBe(unit.ident)
      // The mark that tells a unit's entry code it is a unit is gone before the target runs.
      expect(info.argv).toEqual([])
      if (kind === 'process') {
        expect(info.pid).toBe(unit.ident)
        expect(info.parent).toEqual({ pid: process.pid, name: 'MainProcess' })
      }
    })

    it('a unit can start units of its own (B20)', async () => {
      const out = tmp.file('nested.json')
      const unit = make('nested', { args: [out] })
      unit.start()
      await unit.join()
      expect(unit.exitCode).toBe(0)
      const info = readJson(out) as { name: string; parent: { pid: number; name: string } | null }
      if (kind === 'process') {
        expect(info.name).toBe(`${unit.name}:1`)
        expect(info.parent).toEqual({ pid: unit.ident, name: unit.name })
      } else {
        // One counter per process, as Python's: a thread's thread is not another Thread-1.
        const number = (name: string): number => Number(/^Thread-(\d+) \(\w+\)$/.exec(name)?.[1])
        expect(info.name).toMatch(/^Thread-\d+ \(selfInfo\)$/)
        expect(number(info.name)).toBeGreaterThan(number(unit.name))
        expect(number(new Runner({ target: function later() {} }).name)).toBeGreaterThan(number(info.name))
      }
    })

    it('refuses to join the current unit from inside it', async () => {
      const out = tmp.file('joinself.json')
      const unit = make('joinSelf', { args: [out] })
      unit.start()
      await unit.join()
      expect(readJson(out)).toEqual({ name: 'RuntimeError', message: messages.joinCurrent })
    })

    it('await using ends a unit that still runs', async () => {
      let ident: number | null = null
      let unit: RunnerUnderTest | undefined
      {
        await using scoped = make('sleep', { args: [30] })
        scoped.start()
        ident = scoped.ident
        unit = scoped
      }
      expect(ident).not.toBeNull()
      expect(unit.isAlive()).toBe(false)
      expect(unit.exitCode).toBe(-15)
    })
  })

  describe(`${kind} exit codes and errors (§5 B, C)`, () => {
    it('exitCode is n after process.exit(n) in the target', async () => {
      const unit = make('exitWith', { args: [7] })
      unit.start()
      await unit.join()
      expect(unit.exitCode).toBe(7)
    })

    it('terminate() gives -15 and kill() gives -9 (B11, B12)', async () => {
      const a = make('sleep', { args: [30] })
      const b = make('sleep', { args: [30] })
      a.start()
      b.start()
      a.terminate()
      b.kill()
      await Promise.all([a.join(), b.join()])
      expect(a.exitCode).toBe(-15)
      expect(b.exitCode).toBe(-9)
      expect(a.isAlive()).toBe(false)
      expect(backend.active()).not.toContain(a)
    })

    it('an uncaught error sets exitCode 1 and reaches the excepthook with the runner and the error intact (C26)', async () => {
      const calls: { excType: string; excValue: unknown; thread: unknown }[] = []
      lib.setExcepthook((args) => calls.push(args))
      const unit = make('throwCustom', { args: ['it broke'] })
      unit.start()
      await unit.join()
      expect(unit.exitCode).toBe(1)
      expect(calls).toHaveLength(1)
      const [call] = calls
      expect(call?.thread).toBe(unit)
      expect(call?.excType).toBe('CustomError')
      const error = call?.excValue as Error & { code: string; detail: unknown; cause: Error }
      expect(error).toBeInstanceOf(Error)
      expect(error.name).toBe('CustomError')
      expect(error.message).toBe('it broke')
      expect(error.code).toBe('E_CUSTOM')
      expect(error.detail).toEqual({ answer: 42 })
      expect(error.cause).toBeInstanceOf(RangeError)
      expect(error.stack).toContain('throwCustom')
    })

    it('a rejected async target counts as an uncaught error', async () => {
      const calls: unknown[] = []
      lib.setExcepthook(({ excValue }) => calls.push(excValue))
      const unit = make('rejectLater', { args: ['async failure'] })
      unit.start()
      await unit.join()
      expect(unit.exitCode).toBe(1)
      expect(calls[0]).toBeInstanceOf(TypeError)
      expect((calls[0] as Error).message).toBe('async failure')
    })

    it('a hook that throws is reported and the default hook prints its error (C26)', async () => {
      const writes: string[] = []
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk))
        return true
      })
      try {
        lib.setExcepthook(() => {
          throw new Error('the hook failed')
        })
        const unit = make('throwCustom', { args: ['x'] })
        unit.start()
        await unit.join()
      } finally {
        spy.mockRestore()
      }
      const text = writes.join('')
      expect(text).toContain('Exception in threading.excepthook:')
      expect(text).toContain('the hook failed')
    })

    it('prints an uncaught error with Python\'s header and the stack; the program goes on (B14, C24)', async () => {
      const result = await run([fixture('program.mjs'), 'uncaught'])
      expect(result.code).toBe(0)
      expect(result.stderr).toContain(`${messages.header('failing-unit')}\nTypeError: something went wrong in the target`)
      expect(result.stderr).toMatch(/at .*fail.*program\.mjs/)
      expect(result.stdout).toBe('exitCode=1\n')
    })
  })

  describe(`${kind} output and program exit (§5 D)`, () => {
    it('all output of the target has arrived, in order, when join() resolves', async () => {
      const result = await run([fixture('program.mjs'), 'output'])
      expect(result.code).toBe(0)
      const expected = [...Array.from({ length: 500 }, (_, i) => `line ${i}`), 'last line', 'joined', '']
      expect(result.stdout.split('\n')).toEqual(expected)
      expect(result.stderr).toBe('to stderr\n')
    })

    it('runs the course example by reference from the entry module', async () => {
      const result = await run([fixture('program.mjs'), 'course'])
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe(
        'Fazendo algo com o "1" do tipo number.\nFazendo algo com o "1.5" do tipo number.\nFazendo algo com o "Edson" do tipo string.\n',
      )
    })

    it('a daemon unit does not keep the program alive and is ended with it (D28)', async () => {
      const result = await run([fixture('program.mjs'), 'daemon'])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('main done')
      expect(result.ms).toBeLessThan(15_000)
      const ident = Number(/unit=(\d+)/.exec(result.stdout)?.[1])
      if (kind === 'process') expect(await waitFor(() => !pidAlive(ident))).toBe(true)
    })

    it('a non-daemon unit keeps the program alive until it finishes (D27)', async () => {
      const result = await run([fixture('program.mjs'), 'nondaemon'])
      expect(result.code).toBe(0)
      expect(result.stdout).toBe('main done\nunit done\n')
    })

    it('a module that starts units without isMain() does not fork-bomb: the unit refuses (D29)', async () => {
      const result = await run([fixture('no-guard.mjs')])
      expect(result.code).toBe(0)
      expect(result.stderr).toContain('bootstrapping phase')
      expect(result.stderr).toContain('isMain(import.meta)')
      expect(result.stdout).toBe('exitCode=1\n')
    })

    it.each([
      ['tsx file.ts', () => [new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname]],
      ['node --import tsx file.ts', () => ['--import', 'tsx']],
    ])('runs TypeScript sources by reference under tsx (%s)', async (_how, prefix) => {
      const result = await run([...prefix(), fixture('course.ts')])
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe('Fazendo algo com o Pássaro (from TypeScript)\nexitCode=0\n')
    }, testTimeoutFor(['--import', 'tsx']))
  })

  describe(`${kind} how the target travels`, () => {
    it('rebuilds a self-contained function from its source', async () => {
      const unit = new Runner({ target: (a: number, b: number) => process.exit(a * b), args: [6, 7] })
      started.push(unit)
      unit.start()
      await unit.join()
      expect(unit.exitCode).toBe(42)
    })

    it('explains a function rebuilt from source that needs its module', async () => {
      const errors: Error[] = []
      lib.setExcepthook(({ excValue }) => errors.push(excValue as Error))
      const secret = 'module scope'
      const unit = new Runner({ target: function needsScope() { return secret.length } })
      started.push(unit)
      unit.start()
      await unit.join()
      expect(unit.exitCode).toBe(1)
      expect(errors[0]).toBeInstanceOf(ReferenceError)
      expect(errors[0]?.message).toContain('secret is not defined')
      expect(errors[0]?.message).toContain("'needsScope' was rebuilt from its source")
      expect(errors[0]?.message).toContain('fromModule(needsScope')
    })

    it('uses module imports when the target is found by reference', async () => {
      const out = tmp.file('import.json')
      const unit = make('usesImport', { args: [out] })
      unit.start()
      await unit.join()
      expect(readJson(out)).toBe('ok')
    })

    it('names the function and the module when an explicit reference is wrong', async () => {
      const errors: Error[] = []
      lib.setExcepthook(({ excValue }) => errors.push(excValue as Error))
      const unit = new Runner({ target: lib.fromModule(function missing() {}, fixtureUrl('targets.mjs')) })
      started.push(unit)
      unit.start()
      await unit.join()
      expect(unit.exitCode).toBe(1)
      expect(errors[0]?.name).toBe('TargetNotFoundError')
      expect(errors[0]?.message).toContain("'missing'")
      expect(errors[0]?.message).toContain('targets.mjs')
    })

    it('explains that a bound function cannot travel', async () => {
      const errors: Error[] = []
      lib.setExcepthook(({ excValue }) => errors.push(excValue as Error))
      function plain(a: number) {
        return a
      }
      const unit = new Runner({ target: plain.bind(null, 1) })
      started.push(unit)
      unit.start()
      await unit.join()
      expect(unit.exitCode).toBe(1)
      expect(errors[0]?.name).toBe('TargetNotFoundError')
      expect(errors[0]?.message).toContain("pass the original function 'plain'")
    })

    it('refuses arguments that cannot cross at start(), naming them, and stays unstarted', () => {
      const unit = new Runner({ target: function f(..._: unknown[]) {}, args: [1, () => 2, Symbol('s')] })
      let error: unknown
      try {
        unit.start()
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toContain('argument 1 (an anonymous function)')
      expect((error as Error).message).toContain('argument 2 (symbol s)')
      expect((error as Error).message).not.toContain('..')
      expect(lib.isConcError(error)).toBe(true)
      expect(unit.isAlive()).toBe(false)
      expect(unit.ident).toBeNull()
    })
  })

  describe(`${kind} targets defined in other modules (issue 8 §1)`, () => {
    it('finds a target imported from another module, re-exported, from CommonJS, built in, and a subclass from another module', async () => {
      // Units one after the other: as slow as a tsx program on a loaded machine.
      const result = await run([fixture('locator/main.mjs'), 'runners'], undefined, TSX_PROGRAM_TIMEOUT_MS)
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe(
        'imported: work.mjs on true\nre-exported: work.mjs on true\ncommonjs: work.cjs\nsubclass: runner-class.mjs\n' +
          'error: true 3 work.mjs exitCode 1\n',
      )
    }, testTimeoutFor([], TSX_PROGRAM_TIMEOUT_MS))

    it("an error class exported from the entry arrives as that class while the entry waits at a top-level await", async () => {
      const result = await run([fixture('locator/entry-error.mjs')])
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe('runner: true 1\npool: true 2\n')
    })

    it('finds targets and task functions exported by packages in node_modules (ES module and CommonJS)', async () => {
      const dir = join(tmp.dir, `packages-${kind}`)
      mkdirSync(join(dir, 'node_modules'), { recursive: true })
      symlinkSync(fixture('locator/packages/esm-pkg'), join(dir, 'node_modules', 'conc-fixture-esm'), 'dir')
      symlinkSync(fixture('locator/packages/cjs-pkg'), join(dir, 'node_modules', 'conc-fixture-cjs'), 'dir')
      copyFileSync(fixture('locator/pkg-main.mjs'), join(dir, 'main.mjs'))
      const result = await run([join(dir, 'main.mjs')])
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe(
        'esm package: conc-fixture-esm\ncjs package: conc-fixture-cjs\npool@conc-fixture-esm pool@conc-fixture-cjs\n',
      )
    })

    it('finds the targets of a CommonJS program in the modules it requires', async () => {
      const result = await run([fixture('locator/main.cjs')])
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe('cjs program: work.cjs\ncjs program@work.cjs\n')
    })

    it('finds a TypeScript target imported from another .ts file under tsx', async () => {
      const result = await run(['--import', 'tsx', fixture('locator/main.ts')])
      expect(result.stderr).toBe('')
      expect(result.stdout).toBe('3 sides@work-ts.ts\n4 sides@work-ts.ts\n')
    }, testTimeoutFor(['--import', 'tsx']))
  })

  describe(`${kind} errors keep their class (issue 7 §3)`, () => {
    type ErrorClass = new (...args: never[]) => Error
    const classes = lib as unknown as Record<string, ErrorClass>
    let errorTargets: Record<string, (...args: never[]) => unknown> & { QuotaError: ErrorClass }

    beforeAll(async () => {
      errorTargets = (await import(fixtureUrl('error-targets.mjs'))) as typeof errorTargets
    })

    /** Runs `name` from error-targets.mjs in a unit; returns what the excepthook got. */
    const uncaught = async (name: string, args: unknown[] = []): Promise<{ excType: string; excValue: unknown }> => {
      const calls: { excType: string; excValue: unknown }[] = []
      lib.setExcepthook((call) => calls.push(call))
      const target = lib.fromModule(errorTargets[name] as (...args: never[]) => unknown, fixtureUrl('error-targets.mjs'), name)
      const unit = new Runner({ target, args })
      started.push(unit)
      unit.start()
      await unit.join()
      expect(unit.exitCode).toBe(1)
      expect(calls).toHaveLength(1)
      return calls[0] as { excType: string; excValue: unknown }
    }

    it.each([
      ['ValueError', 'ERR_CONC_VALUE', undefined],
      ['RuntimeError', 'ERR_CONC_RUNTIME', undefined],
      ['RuntimeError', 'ERR_CONC_BOOTSTRAP', 'ERR_CONC_BOOTSTRAP'],
      ['TargetNotFoundError', 'ERR_CONC_TARGET_NOT_FOUND', undefined],
      ['TimeoutError', 'ERR_CONC_TIMEOUT', undefined],
      ['CancelledError', 'ERR_CONC_CANCELLED', undefined],
      ['BrokenBarrierError', 'ERR_CONC_BROKEN_BARRIER', undefined],
      ['Empty', 'ERR_CONC_EMPTY', undefined],
    ])('a %s (%s) raised in the unit reaches the excepthook as that class, branded', async (name, code, given) => {
      const { excType, excValue } = await uncaught('throwConc', [name, `a ${name}`, given])
      const Class = classes[name] as ErrorClass
      expect(excValue).toBeInstanceOf(Class)
      expect(lib.isConcError(excValue)).toBe(true)
      const error = excValue as Error & { code: string }
      expect(error.code).toBe(code)
      expect(error.name).toBe(name)
      expect(excType).toBe(name)
      expect(error.message).toBe(`a ${name}`)
      expect(error.stack).toContain('throwConc')
    })

    it('a user error class exported from its module arrives as that class, with its properties and methods', async () => {
      const { excValue } = await uncaught('throwQuota', [10])
      expect(excValue).toBeInstanceOf(errorTargets.QuotaError)
      const error = excValue as Error & { limit: number; remaining(used: number): number }
      expect(error.name).toBe('QuotaError')
      expect(error.message).toBe('over quota')
      expect(error.limit).toBe(10)
      expect(error.remaining(3)).toBe(7)
      expect(error.stack).toContain('throwQuota')
      const later = await uncaught('rejectQuota', [4])
      expect(later.excValue).toBeInstanceOf(errorTargets.QuotaError)
    })

    it('a class its module does not export falls back to Error with its name and properties', async () => {
      const { excType, excValue } = await uncaught('throwPrivate')
      const error = excValue as Error & { secret: number }
      expect(error.constructor).toBe(Error)
      expect(error.name).toBe('PrivateError')
      expect(excType).toBe('PrivateError')
      expect(error.secret).toBe(7)
    })

    it('the cause chain and the members of an AggregateError keep their classes', async () => {
      const chain = (await uncaught('throwChain')).excValue as Error & { cause: Error & { cause: Error } }
      expect(chain).toBeInstanceOf(errorTargets.QuotaError)
      expect(chain.cause).toBeInstanceOf(classes.ValueError as ErrorClass)
      expect(lib.isConcError(chain.cause)).toBe(true)
      expect(chain.cause.cause).toBeInstanceOf(RangeError)
      expect(chain.cause.cause.message).toBe('inner')
      const aggregate = (await uncaught('throwAggregate')).excValue as AggregateError
      expect(aggregate).toBeInstanceOf(AggregateError)
      expect(aggregate.message).toBe('several')
      expect(aggregate.errors.map((e: Error) => e.message)).toEqual(['first', 'second', 'third'])
      expect(aggregate.errors[0]).toBeInstanceOf(errorTargets.QuotaError)
      expect((aggregate.errors[0] as { limit: number }).limit).toBe(2)
      expect(aggregate.errors[1]).toBeInstanceOf(classes.ValueError as ErrorClass)
      expect(aggregate.errors[2]).toBeInstanceOf(TypeError)
    })

    it("errors that a primitive's owner sends back to the unit keep their class there", async () => {
      const sync = lib as unknown as {
        Queue: new () => { get(options?: object): Promise<unknown> }
        Lock: new () => object
      }
      const queue = new sync.Queue()
      const out = new sync.Queue()
      const target = lib.fromModule(errorTargets.ownerErrors as (...args: never[]) => unknown, fixtureUrl('error-targets.mjs'), 'ownerErrors')
      const unit = new Runner({ target, args: [queue, new sync.Lock(), out] })
      started.push(unit)
      unit.start()
      expect(await out.get({ timeout: 20 })).toEqual([
        { name: 'Empty', empty: true, runtime: false, conc: true, code: 'ERR_CONC_EMPTY' },
        { name: 'RuntimeError', empty: false, runtime: true, conc: true, code: 'ERR_CONC_RUNTIME' },
      ])
      await unit.join()
    })
  })

  describe(`${kind}: units load the library on first use (issue 8 §4)`, () => {
    const own = backend.backendUrl.replace(/^.*\/([^/]+)\/dist\/index\.js$/, '$1')
    const packageDir = fileURLToPath(new URL('..', backend.backendUrl))

    it("the lazy public module ('conc-lazy' condition) compiles three small files; the first use loads the rest, and the exports behave as the real ones before and after", async () => {
      const lazyUrl = new URL('lazy.js', backend.backendUrl).href
      const run = await runNode(['--conditions=conc-lazy', fixture('facade.mjs')], { backendUrl: lazyUrl })
      expect(run.stderr).toBe('')
      const report = JSON.parse(run.stdout) as { onImport: string[]; afterUse: string[]; before: Record<string, unknown>; after: Record<string, boolean> }
      // The backend's lazy module, core's, and the unit runtime (`@conc/core/unit`, which a unit
      // loads anyway), where core's light exports are.
      expect(report.onImport).toHaveLength(3)
      expect(report.onImport).toEqual(expect.arrayContaining([`${own}/dist/lazy.js`, 'core/dist/lazy.js', 'core/dist/unit.js']))
      expect(report.afterUse).toContain('core/dist/index.js')
      expect(report.before).toEqual({ lockType: 'function', lockName: 'Lock', connectionType: 'object', isMain: true, constant: 'FIRST_COMPLETED' })
      expect(Object.entries(report.after).filter(([, ok]) => !ok)).toEqual([])
      expect(Object.keys(report.after).length).toBeGreaterThan(10)
    })

    it("a unit's entry is one file, and the lazy public module imports no other file of this package", () => {
      const specifiers = (file: string): string[] =>
        [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)].map(
          (m) => (m[1] ?? m[2]) as string,
        )
      const entries = readdirSync(join(packageDir, 'dist', 'entry')).filter((name) => name.endsWith('.js'))
      expect(entries).toHaveLength(1)
      const entry = specifiers(join(packageDir, 'dist', 'entry', entries[0] as string))
      expect(entry).toContain('@conc/core/unit')
      expect(entry.filter((specifier) => specifier.startsWith('.'))).toEqual([])
      expect(specifiers(join(packageDir, 'dist', 'lazy.js')).filter((specifier) => specifier.startsWith('.'))).toEqual([])
    })

    /** A program in a project that installs the packages, whose unit and main report what they loaded. */
    const unitProgram = (): string => {
      const dir = join(tmp.dir, `lazy-units-${own}`)
      if (!existsSync(dir)) {
        mkdirSync(join(dir, 'node_modules', '@conc'), { recursive: true })
        symlinkSync(packageDir, join(dir, 'node_modules', '@conc', own), 'dir')
        copyFileSync(fixture('lazy-units.mjs'), join(dir, 'main.mjs'))
        writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
      }
      return join(dir, 'main.mjs')
    }
    type Report = { where: string; execArgv: string[]; lazy: boolean }
    const reports = (stdout: string): Report[] => stdout.trim().split('\n').map((line) => JSON.parse(line) as Report)

    it("a unit of a program run with plain node, and its own unit, get the lazy module (the program and its pool's workers keep the default one); the condition is not left in their execArgv", async () => {
      const run = await runNode([unitProgram()], { backendUrl: backend.backendUrl, env: { CONC_PACKAGE: `@conc/${own}`, CONC_POOL: '1' } })
      expect(run.stderr).toBe('')
      const byWhere = new Map(reports(run.stdout).map((report) => [report.where, report]))
      // Removed when the unit starts, so that what its code starts does not inherit it.
      expect(byWhere.get('unit')).toEqual({ where: 'unit', execArgv: [], lazy: true })
      expect(byWhere.get('nested')).toEqual({ where: 'nested', execArgv: [], lazy: true })
      // A pool worker's first use of a stand-in could require() the library while one of its
      // tasks' modules still loads, which aborts Node 20: its workers load the library itself.
      expect(byWhere.get('pool')).toEqual({ where: 'pool', execArgv: [], lazy: false })
      expect(byWhere.get('main')).toEqual({ where: 'main', execArgv: [], lazy: false })
    })

    it('a program whose flags a worker thread refuses still starts its units (threads inherit them, without the condition)', async () => {
      const run = await runNode(['--max-old-space-size=300', unitProgram()], { backendUrl: backend.backendUrl, env: { CONC_PACKAGE: `@conc/${own}` } })
      expect(run.stderr).toBe('')
      const [unit, nested, main] = reports(run.stdout)
      expect(unit).toMatchObject({ where: 'unit', execArgv: ['--max-old-space-size=300'], lazy: kind === 'process' })
      expect(nested).toMatchObject({ where: 'nested', execArgv: ['--max-old-space-size=300'] })
      expect(main).toMatchObject({ where: 'main', lazy: false })
    })

    it("a unit of a program run under tsx (whose require hook compiles ES modules) gets the default module", async () => {
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
      const run = await runNode(['--import', tsx, unitProgram()], { backendUrl: backend.backendUrl, env: { CONC_PACKAGE: `@conc/${own}` }, timeoutMs: TSX_PROGRAM_TIMEOUT_MS })
      expect(run.stderr).toBe('')
      const [unit, nested, main] = reports(run.stdout)
      expect(unit).toMatchObject({ where: 'unit', lazy: false })
      expect(nested).toMatchObject({ where: 'nested', lazy: false })
      expect(unit?.execArgv).not.toContain('--conditions=conc-lazy')
      expect(main).toMatchObject({ where: 'main', lazy: false })
    }, testTimeoutFor([], TSX_PROGRAM_TIMEOUT_MS))
  })
}
