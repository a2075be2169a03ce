#!/usr/bin/env node
/**
 * Packaging test: what a user gets from the registry, checked before it gets there.
 *
 * Packs @conc/core, @conc/threading, @conc/multiprocessing and @conc/distributed with the
 * README's install-from-a-clone commands (`pnpm pack:tarballs`, which uses `pnpm pack`:
 * `workspace:*` becomes a version), checks each tarball (its files, the LICENSE, source maps that
 * resolve inside it), installs the tarballs with plain `npm install` into a fresh project under
 * the system temp directory (no workspace, no links into this repo), and there:
 *   - checks that @conc/core came from the local tarball, not from the public registry, and that
 *     only @conc/distributed brings BullMQ and ioredis;
 *   - runs `conc-worker --help` from node_modules/.bin and, when redis-server is installed, tasks
 *     through a local Redis and a `conc-worker` host of the installed package (the documentation's
 *     examples of @conc/distributed run against them too);
 *   - runs the Python course example with `node` against both backends and checks every line;
 *   - runs a CommonJS program (`require`, `module.exports`, `isMain(module)`) on both backends;
 *   - bundles a program with each supported bundler, following the README's recipe, and runs
 *     the bundle, also copied away from any node_modules;
 *   - type-checks a TypeScript consumer against the published .d.ts files (args inferred from
 *     target, wrong arguments are compile errors), with @types/node and without it (a project
 *     made by `tsc --init`), then runs it with tsx;
 *   - runs every example of the documentation (README.md, docs/*.md, the packages' READMEs) as
 *     a program (scripts/packaging/markdown-examples.mjs says how blocks are marked).
 *
 * Run it after a build: `pnpm build && node scripts/packaging-test.mjs` (`pnpm test` does both).
 * `--keep` leaves the temporary project in place and prints where it is; `--only WORD` runs the
 * checks whose names contain WORD (after packing and installing).
 * Plain Node; the bundlers and TypeScript come from the repository's devDependencies. Exits
 * non-zero when a check fails.
 */
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { outputProblem, planExamples } from './packaging/markdown-examples.mjs'
import { BUNDLE_FILES, BUNDLE_OUTPUT, CJS_FILES, CJS_OUTPUT } from './packaging/programs.mjs'
import { readTarball, sourceMapProblems } from './packaging/tarball.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const keep = process.argv.includes('--keep')
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined
const isWindows = process.platform === 'win32'
const requireFromRoot = createRequire(join(root, 'package.json'))

/** The markdown files whose examples are programs the test runs. */
function documentationFiles() {
  const docs = existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`) : []
  const readmes = PACKAGES.map((pkg) => `${pkg.dir}/README.md`).filter((f) => existsSync(join(root, f)))
  return ['README.md', ...docs.sort(), ...readmes]
}

/** The published packages, in dependency order, and files each tarball must carry. */
const PACKAGES = [
  { name: '@conc/core', dir: 'packages/core', mustShip: ['dist/index.js', 'dist/index.d.ts', 'dist/unit.js', 'dist/unit.d.ts', 'dist/executor/pool-worker.js'] },
  { name: '@conc/threading', dir: 'packages/threading', mustShip: ['dist/index.js', 'dist/index.d.ts', 'dist/entry/worker.js'] },
  { name: '@conc/multiprocessing', dir: 'packages/multiprocessing', mustShip: ['dist/index.js', 'dist/index.d.ts', 'dist/entry/child.js'] },
  {
    name: '@conc/distributed',
    dir: 'packages/distributed',
    mustShip: ['dist/index.js', 'dist/index.d.ts', 'dist/task-runner.js', 'dist/cli/worker.js'],
  },
]

/** Only @conc/distributed may bring these: installing the other packages must not. */
const DISTRIBUTED_ONLY = ['bullmq', 'ioredis']

// ---------------------------------------------------------------------------------------------
// Reporting

const results = []
const t0 = performance.now()

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)}s`
}

function record(status, name, ms, detail = '') {
  results.push({ status, name })
  const line = `packaging: ${status.padEnd(4)} ${name} (${seconds(ms)})`
  console.log(line)
  if (detail) console.log(indent(detail))
}

function indent(text) {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
}

/** A check failed: its message says what was expected and what happened. */
class CheckFailure extends Error {}

function expect(condition, message) {
  if (!condition) throw new CheckFailure(message)
}

/** Runs one check; a failed check is recorded and, when `fatal`, stops the run. */
async function check(name, fn, { fatal = false } = {}) {
  if (only !== undefined && !fatal && !name.includes(only)) return true
  const started = performance.now()
  try {
    const note = await fn()
    if (note instanceof Skipped) record('SKIP', name, performance.now() - started, note.why)
    else record('PASS', name, performance.now() - started, typeof note === 'string' ? note : '')
    return true
  } catch (error) {
    const detail = error instanceof CheckFailure ? error.message : (error?.stack ?? String(error))
    record('FAIL', name, performance.now() - started, detail)
    if (fatal) throw new Stop()
    return false
  }
}

/** Thrown by a fatal check's failure: the checks after it cannot run. */
class Stop extends Error {}

/** What a check returns when it cannot run here (and is not a failure). */
class Skipped {
  constructor(why) {
    this.why = why
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Commands running now, killed (with their process groups) if this script is stopped. */
const running = new Set()

/**
 * Runs a command without a shell, stdin closed, output captured. On timeout the whole process
 * group is killed. `stray` lists processes of the group still alive after the command exited
 * (a child that outlived its parent); they are killed too.
 */
function run(command, args, { cwd = root, env = process.env, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const started = performance.now()
    let child
    try {
      // Windows runs npm.cmd and friends only through a shell.
      const shell = isWindows && /\.cmd$/i.test(command)
      child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: !isWindows, shell })
    } catch (error) {
      resolve({ code: null, signal: null, stdout: '', stderr: '', error, timedOut: false, stray: [], ms: 0 })
      return
    }
    running.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child)
    }, timeoutMs)
    let spawnError
    child.on('error', (error) => {
      spawnError = error
    })
    child.on('close', async (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      const stray = await strayProcesses(child.pid)
      if (stray.length > 0) killGroup(child)
      resolve({ code, signal, stdout, stderr, error: spawnError, timedOut, stray, ms: performance.now() - started })
    })
  })
}

/**
 * Starts a long-running command in its own process group (killed with it at the end); `lines`
 * collects its output, `waitFor(pattern)` resolves with the first matching line.
 */
function startBackground(command, args, { cwd = root, env = process.env } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: !isWindows })
  running.add(child)
  const lines = []
  let wake = () => {}
  for (const stream of [child.stdout, child.stderr]) {
    let partial = ''
    stream.setEncoding('utf8').on('data', (chunk) => {
      const parts = (partial + chunk).split('\n')
      partial = parts.pop()
      lines.push(...parts)
      wake()
    })
  }
  let exited = false
  child.on('error', () => {})
  child.on('close', () => {
    exited = true
    running.delete(child)
    wake()
  })
  return {
    lines,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new CheckFailure(`${command} did not print ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`)), timeoutMs)
        wake = () => {
          const line = lines.find((l) => pattern.test(l))
          if (line !== undefined || exited) {
            clearTimeout(timer)
            if (line !== undefined) resolve(line)
            else reject(new CheckFailure(`${command} exited before printing ${pattern}:\n${lines.join('\n')}`))
          }
        }
        wake()
      })
    },
    stop() {
      killGroup(child)
      running.delete(child)
    },
  }
}

function killGroup(child) {
  try {
    if (!isWindows && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    else child.kill('SIGKILL')
  } catch {
    // already gone
  }
}

/** Live (non-zombie) processes in process group `pgid`, waiting up to 2 s for them to end. */
async function strayProcesses(pgid) {
  if (isWindows || pgid === undefined) return []
  for (let attempt = 0; ; attempt++) {
    const alive = groupMembers(pgid)
    if (alive.length === 0 || attempt >= 20) return alive
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function groupMembers(pgid) {
  if (process.platform === 'linux') {
    const members = []
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        if (Number(pgrp) === pgid && state !== 'Z') {
          const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim()
          members.push(`${entry} ${cmdline}`)
        }
      } catch {
        // the process ended while we looked
      }
    }
    return members
  }
  try {
    process.kill(-pgid, 0)
    return [`process group ${pgid}`]
  } catch {
    return []
  }
}

function describeRun(r) {
  const how = r.error
    ? `could not start: ${r.error.message}`
    : r.timedOut
      ? 'timed out and was killed'
      : r.signal
        ? `ended by ${r.signal}`
        : `exited with code ${r.code}`
  const parts = [how]
  if (r.stdout.trim()) parts.push(`stdout:\n${indent(r.stdout)}`)
  if (r.stderr.trim()) parts.push(`stderr:\n${indent(r.stderr)}`)
  return parts.join('\n')
}

function succeeded(r) {
  return !r.error && !r.timedOut && r.code === 0
}

/**
 * How to run pnpm. Under pnpm (`pnpm test`), `npm_execpath` is pnpm's own CLI: run that file
 * with this Node, whatever is or is not on PATH. Otherwise `pnpm` from PATH, and last the
 * version the repo pins, through npx.
 */
async function findPnpm() {
  const execPath = process.env.npm_execpath
  if (execPath && /pnpm/i.test(execPath.split(/[\\/]/).slice(-3).join('/')) && existsSync(execPath)) {
    return /\.[cm]?js$/.test(execPath) ? [process.execPath, [execPath]] : [execPath, []]
  }
  const candidates = [[isWindows ? 'pnpm.cmd' : 'pnpm', []]]
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager
  if (typeof pinned === 'string' && pinned.startsWith('pnpm@')) {
    candidates.push([isWindows ? 'npx.cmd' : 'npx', ['--yes', pinned.split('+')[0]]])
  }
  for (const [command, prefix] of candidates) {
    const r = await run(command, [...prefix, '--version'], { timeoutMs: 120_000 })
    if (succeeded(r)) return [command, prefix]
  }
  throw new CheckFailure('pnpm not found: run this under pnpm (`pnpm test:packaging`) or put pnpm on PATH')
}

/**
 * The environment for npm in the consumer project: a user's, not a pnpm script's. pnpm exports
 * its own settings as npm_config_* (its global rc as `globalconfig`, empty flags), which npm
 * would take as its own; keep only what reaches the registry.
 */
function consumerEnv() {
  const keepNpm = /^npm_config_(registry|cafile|ca|strict_ssl|proxy|https_proxy|noproxy|no_proxy|userconfig|cache)$/i
  const env = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_)/i.test(key) && !keepNpm.test(key)) continue
    if (/^(PNPM_|INIT_CWD$|NODE$)/.test(key)) continue
    env[key] = value
  }
  // An empty value means "unset" to pnpm but is taken literally by npm.
  for (const key of Object.keys(env)) if (/^npm_config_/i.test(key) && env[key] === '') delete env[key]
  return env
}

// ---------------------------------------------------------------------------------------------
// The consumer project

const COURSE_EXAMPLE = `import { Thread, isMain } from '@conc/threading'
import { Process } from '@conc/multiprocessing'

export function fazAlgo(...args) {
  for (const arg of args) console.log(\`Fazendo algo com o "\${arg}" do tipo \${typeof arg}.\`)
}

if (isMain(import.meta)) {
  for (const R of [Thread, Process]) {
    const t = new R({ target: fazAlgo, args: [1, 1.5, 'Edson'] })
    t.start()
    await t.join()
    console.log(R.name, 'exitCode', t.exitCode)
  }
}
`

const COURSE_OUTPUT = ['Thread', 'Process'].flatMap((R) => [
  'Fazendo algo com o "1" do tipo number.',
  'Fazendo algo com o "1.5" do tipo number.',
  'Fazendo algo com o "Edson" do tipo string.',
  `${R} exitCode 0`,
])

const TS_CONSUMER = `import { Thread, isMain, type RunnerOptions } from '@conc/threading'
import { Process, cpuCount } from '@conc/multiprocessing'
import { ConcError } from '@conc/core'
import type * as Unit from '@conc/core/unit'

export function fazAlgo(valor: string, vezes: number): string {
  for (let i = 0; i < vezes; i++) console.log(\`Fazendo algo com o \${valor}\`)
  return valor
}

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function assertType<T extends true>(): T | undefined {
  return undefined
}

// The backends' subpath resolves, with types.
export type UnitExports = keyof typeof Unit

// Never called: only the type checker reads it.
export function typeTests(): void {
  const t = new Thread({ target: fazAlgo, args: ['Pássaro', 2] })
  const p = new Process({ target: fazAlgo, args: ['Pássaro', 2] })
  assertType<Equal<typeof t, Thread<typeof fazAlgo>>>()
  assertType<Equal<RunnerOptions<typeof fazAlgo>['args'], readonly [valor: string, vezes: number]>>()
  const code: number | null = t.exitCode
  const pid: number | null = p.pid
  const joined: Promise<void> = p.join(0.5)
  const ok: boolean = new ConcError('x') instanceof Error
  const n: number = cpuCount()
  // @ts-expect-error a wrong argument type is a compile error
  new Thread({ target: fazAlgo, args: ['Pássaro', 'duas'] })
  // @ts-expect-error a missing argument is a compile error
  new Process({ target: fazAlgo, args: ['Pássaro'] })
  // @ts-expect-error args are required when the target has required parameters
  new Thread({ target: fazAlgo })
  // @ts-expect-error too many arguments
  new Process({ target: fazAlgo, args: ['Pássaro', 2, 3] })
  // @ts-expect-error pid is a process's, not a thread's
  t.pid
  new Thread({ target: () => 1 })
  void [code, pid, joined, ok, n]
}

if (isMain(import.meta)) {
  for (const R of [Thread, Process]) {
    const t = new R({ target: fazAlgo, args: ['TypeScript', 1] })
    t.start()
    await t.join()
    console.log(R.name, 'exitCode', t.exitCode)
  }
}
`

const DISTRIBUTED_EXAMPLE = `import { ProcessPoolExecutor, Pool, isMain } from '@conc/distributed'

export function cube(x) {
  return x ** 3
}

if (isMain(import.meta)) {
  const executor = new ProcessPoolExecutor()
  console.log(await executor.submit(cube, 3))
  await executor.shutdown()
  const pool = new Pool()
  console.log(await pool.map(cube, [1, 2, 3]))
  pool.close()
  await pool.join()
}
`

const DISTRIBUTED_OUTPUT = ['27', '[ 1, 8, 27 ]']

const TS_OUTPUT = ['Thread', 'Process'].flatMap((R) => ['Fazendo algo com o TypeScript', `${R} exitCode 0`])

function compareLines(actual, expected) {
  const lines = actual.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n')
  if (lines.length === expected.length && lines.every((line, i) => line === expected[i])) return undefined
  const width = Math.max(...expected.map((line) => line.length), 10)
  const rows = []
  for (let i = 0; i < Math.max(lines.length, expected.length); i++) {
    const mark = lines[i] === expected[i] ? ' ' : '✗'
    rows.push(`${mark} ${String(expected[i] ?? '(none)').padEnd(width)} | ${lines[i] ?? '(none)'}`)
  }
  return `output differs (expected | actual):\n${rows.join('\n')}`
}

function assertProgramRun(r, expected) {
  const problems = []
  if (!succeeded(r)) problems.push(describeRun(r))
  else {
    const diff = compareLines(r.stdout, expected)
    if (diff) problems.push(diff)
    if (r.stderr.trim()) problems.push(`unexpected stderr:\n${indent(r.stderr)}`)
  }
  if (r.stray.length > 0) problems.push(`processes still running after the program exited:\n${indent(r.stray.join('\n'))}`)
  expect(problems.length === 0, problems.join('\n'))
}

// ---------------------------------------------------------------------------------------------
// What the README says

/** The fenced blocks of a markdown file: language, text and line. */
function markdownBlocks(file) {
  const lines = readFileSync(join(root, file), 'utf8').replace(/\r\n/g, '\n').split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\w*)/.exec(lines[i])
    if (!open) continue
    const start = i
    const body = []
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) body.push(lines[i].trim())
    blocks.push({ lang: open[1], lines: body, text: body.join('\n'), line: start + 1 })
  }
  return blocks
}

/**
 * The README's install-from-a-clone commands, checked against what this test runs: the pinned
 * pnpm running the `pack:tarballs` script, then `npm install` of the tarballs it wrote.
 */
function installFromClone() {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const pinned = manifest.packageManager.split('+')[0]
  const block = markdownBlocks('README.md').find((b) => b.lang === 'sh' && b.text.includes('pack:tarballs'))
  expect(block !== undefined, 'README.md has no ```sh block with the install-from-a-clone commands (`pack:tarballs`)')
  const pack = `npx --yes ${pinned} pack:tarballs`
  const problems = []
  if (!block.lines.some((line) => line.split('#')[0].trim() === pack)) problems.push(`it has no line \`${pack}\``)
  if (!block.lines.some((line) => /^npm (i|install) \S*tarballs\/\*\.tgz$/.test(line.split('#')[0].trim()))) {
    problems.push('it has no line `npm install <path to the clone>/tarballs/*.tgz`')
  }
  if (!/scripts\/pack-tarballs\.mjs/.test(manifest.scripts?.['pack:tarballs'] ?? '')) problems.push('package.json has no pack:tarballs script running scripts/pack-tarballs.mjs')
  expect(problems.length === 0, `README.md:${block.line}, the install-from-a-clone commands: ${problems.join('; ')}`)
  return { packScript: 'pack:tarballs' }
}

/** The directory of a devDependency of the repository (whatever its `exports` allow). */
function packageDir(name) {
  let dir
  try {
    dir = dirname(realpathSync(requireFromRoot.resolve(name)))
  } catch (error) {
    throw new CheckFailure(`${name} is not installed in the repository (a devDependency of the root): ${error.message}`)
  }
  for (; dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name) return dir
  }
  throw new CheckFailure(`cannot find the package directory of ${name}`)
}

/** A bundler's recipe from the README: the esbuild command line, rollup's config file. */
function recipe(name, find) {
  const found = markdownBlocks('README.md').map(find).find((value) => value !== undefined)
  expect(found !== undefined, `README.md has no ${name} recipe`)
  return found
}

/**
 * The supported bundlers, each run as the README says (from the repository's devDependencies,
 * as `npx` would run them from the user's), in `dir` of the consumer project `app`.
 */
const BUNDLERS = [
  {
    name: 'esbuild',
    async bundle(dir) {
      const line = recipe('esbuild', (b) => (b.lang === 'sh' ? b.lines.find((l) => l.startsWith('npx esbuild ')) : undefined))
      const args = line.split('#')[0].trim().split(/\s+/).slice(2)
      const outfile = args.find((arg) => arg.startsWith('--outfile='))?.slice('--outfile='.length)
      expect(outfile !== undefined, `the README's esbuild recipe has no --outfile: ${line}`)
      const bin = join(packageDir('esbuild'), 'bin', isWindows ? 'esbuild.exe' : 'esbuild')
      const r = await run(existsSync(bin) ? bin : process.execPath, existsSync(bin) ? args : [requireFromRoot.resolve('esbuild/bin/esbuild'), ...args], { cwd: dir, env: consumerEnv() })
      expect(succeeded(r), `npx esbuild ${args.join(' ')}: ${describeRun(r)}`)
      expect(!/warning/i.test(r.stderr), `esbuild warned:\n${indent(r.stderr)}`)
      return { outfile }
    },
  },
  {
    name: 'rollup',
    async bundle(dir, app) {
      const config = recipe('rollup', (b) => (b.lang === 'js' && b.text.includes('@rollup/plugin-node-resolve') ? b.text : undefined))
      recipe('rollup command', (b) => (b.lang === 'sh' ? b.lines.find((l) => l.split('#')[0].trim() === 'npx rollup -c') : undefined))
      const outfile = /file:\s*'([^']+)'/.exec(config)?.[1]
      expect(outfile !== undefined, `the README's rollup config has no output.file:\n${config}`)
      writeFileSync(join(dir, 'rollup.config.mjs'), `${config}\n`)
      // The plugin as the user's devDependency: linked from the repository's.
      const plugin = join(app, 'node_modules', '@rollup', 'plugin-node-resolve')
      if (!existsSync(plugin)) {
        mkdirSync(dirname(plugin), { recursive: true })
        symlinkSync(packageDir('@rollup/plugin-node-resolve'), plugin, 'junction')
      }
      const cli = join(packageDir('rollup'), 'dist', 'bin', 'rollup')
      const r = await run(process.execPath, [cli, '-c', '--silent'], { cwd: dir, env: consumerEnv() })
      expect(succeeded(r), `npx rollup -c: ${describeRun(r)}`)
      expect(!/warning|\(!\)/i.test(r.stderr), `rollup warned:\n${indent(r.stderr)}`)
      return { outfile }
    },
  },
]

/**
 * A redis-server (a free port, nothing persisted) and a `conc-worker` host of the installed
 * package serving `appRoot` (under tsx when `loader` is given), for programs that use
 * @conc/distributed; `env` tells them where both are. Skipped when redis-server is not installed.
 */
async function startDistributed(app, appRoot, loader) {
  const redisServer = ['redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(
    (candidate) => spawnSync(candidate, ['--version']).status === 0,
  )
  if (redisServer === undefined) return new Skipped('redis-server is not installed')
  // A random port below Linux's ephemeral range (32768 and up, where a connection's own port may
  // take it), and another one if it is in use all the same (redis-server then exits at once).
  let port
  let redis
  for (let attempt = 1; ; attempt++) {
    port = String(20000 + Math.floor(Math.random() * 12000))
    redis = startBackground(redisServer, ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { cwd: app })
    try {
      await redis.waitFor(/Ready to accept connections/)
      break
    } catch (error) {
      redis.stop()
      if (attempt >= 5) throw error
    }
  }
  let host
  try {
    const url = `redis://127.0.0.1:${port}`
    const worker = join(app, 'node_modules', '@conc', 'distributed', 'dist', 'cli', 'worker.js')
    const args = [...(loader === undefined ? [] : ['--import', loader]), worker, '--connection', url, '--app', appRoot, '--concurrency', '2']
    host = startBackground(process.execPath, args, { cwd: app, env: consumerEnv() })
    await host.waitFor(/serving queue/, 60_000)
    return {
      env: { CONC_REDIS_URL: url, CONC_APP: appRoot },
      stop() {
        host.stop()
        redis.stop()
      },
    }
  } catch (error) {
    host?.stop()
    redis.stop()
    throw error
  }
}

// ---------------------------------------------------------------------------------------------
// The documentation's examples

/**
 * Runs every example of the documentation as a program in the consumer project: one check per
 * program, and one that the markers (fragment, module, run-as, output) are deliberate.
 */
async function checkDocumentation(app) {
  const plans = documentationFiles().map((file) => planExamples(readFileSync(join(root, file), 'utf8'), file))
  await check('documentation: every ts/js block is a program or deliberately marked', () => {
    const problems = plans.flatMap((plan) => plan.problems)
    expect(problems.length === 0, problems.join('\n'))
    const programs = plans.reduce((n, plan) => n + plan.programs.length, 0)
    const fragments = plans.reduce((n, plan) => n + plan.fragments, 0)
    return `${programs} programs, ${fragments} fragments in ${plans.length} files`
  })
  let tsx
  try {
    tsx = createRequire(join(root, 'packages/threading/package.json')).resolve('tsx/cli')
  } catch {
    tsx = undefined
  }
  // Examples of @conc/distributed need a Redis and a worker host serving the examples.
  let distributed
  const needsDistributed = plans.some((plan) => plan.programs.some((program) => program.code.includes("'@conc/distributed'")))
  if (needsDistributed) {
    await check('documentation: a Redis and a conc-worker host for the examples of @conc/distributed', async () => {
      const loader = tsx === undefined ? undefined : pathToFileURL(createRequire(join(root, 'packages/threading/package.json')).resolve('tsx')).href
      distributed = await startDistributed(app, join(app, 'examples'), loader)
      if (distributed instanceof Skipped) return distributed
    })
  }
  for (const plan of plans) {
    const dir = join(app, 'examples', plan.dir)
    mkdirSync(dir, { recursive: true })
    for (const module of plan.modules) writeFileSync(join(dir, module.file), module.code)
    for (const program of plan.programs) {
      await check(`example ${program.location} (${program.runner === 'tsx' ? 'TypeScript, run with tsx' : 'JavaScript, run with node'})`, async () => {
        if (program.runner === 'tsx' && tsx === undefined) return new Skipped('tsx is not installed in the repo')
        const remote = program.code.includes("'@conc/distributed'")
        if (remote && (distributed === undefined || distributed instanceof Skipped)) return new Skipped('needs redis-server, which is not installed')
        writeFileSync(join(dir, program.file), program.code)
        const args = program.runner === 'tsx' ? [tsx, program.file] : [program.file]
        const env = remote ? { ...consumerEnv(), ...distributed.env } : consumerEnv()
        const r = await run(process.execPath, args, { cwd: dir, env, timeoutMs: 60_000 })
        const problems = []
        if (!succeeded(r)) problems.push(`it ${describeRun(r)}`)
        else {
          const wrong = outputProblem(program, r.stdout)
          if (wrong) problems.push(wrong)
          if (r.stderr.trim()) problems.push(`it wrote to stderr:\n${indent(r.stderr)}`)
        }
        if (r.stray.length > 0) problems.push(`processes still running after it exited:\n${indent(r.stray.join('\n'))}`)
        expect(
          problems.length === 0,
          `${problems.join('\n')}\n` +
            `(${program.location} is run as a program against the installed packages, as ${join(plan.dir, program.file)}; ` +
            'if it is not meant to run on its own, mark it: <!-- fragment: what it needs --> on the line before the block)',
        )
      })
    }
  }
  if (distributed !== undefined && !(distributed instanceof Skipped)) distributed.stop()
}

// ---------------------------------------------------------------------------------------------
// The test

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'conc-packaging-'))
  const tarballDir = join(work, 'tarballs')
  const app = join(work, 'app')
  mkdirSync(tarballDir)
  mkdirSync(app)
  const tarballs = new Map()
  let pnpm

  let cleaned = false
  const cleanup = () => {
    for (const child of running) killGroup(child)
    if (cleaned || keep) return
    cleaned = true
    rmSync(work, { recursive: true, force: true, maxRetries: 3 })
  }
  // Also on an abrupt end (an uncaught error, stdout closed by `| head`).
  process.once('exit', cleanup)
  const onSignal = (signal) => {
    cleanup()
    process.kill(process.pid, signal)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  try {
    await check(
      'packages are built',
      () => {
        const missing = PACKAGES.flatMap((pkg) =>
          pkg.mustShip.map((file) => join(pkg.dir, file)).filter((file) => !existsSync(join(root, file))),
        )
        expect(missing.length === 0, `missing ${missing.join(', ')}: run \`pnpm build\` first`)
      },
      { fatal: true },
    )

    await check(
      'pnpm found',
      async () => {
        pnpm = await findPnpm()
        return `${[...pnpm[0].split(/[\\/]/).slice(-1), ...pnpm[1]].join(' ')}`
      },
      { fatal: true },
    )

    await check(
      "README's install-from-a-clone commands: pnpm pack:tarballs",
      async () => {
        const steps = installFromClone()
        // The README's command, with --out so that the repository stays clean.
        const r = await run(pnpm[0], [...pnpm[1], steps.packScript, '--out', tarballDir], { timeoutMs: 300_000 })
        expect(succeeded(r), describeRun(r))
        for (const pkg of PACKAGES) {
          const stem = `${pkg.name.slice(1).replace('/', '-')}-`
          const found = readdirSync(tarballDir).filter((file) => file.startsWith(stem) && file.endsWith('.tgz'))
          expect(found.length === 1, `expected one ${stem}*.tgz in ${tarballDir}, found ${found.join(', ') || 'none'}`)
          tarballs.set(pkg.name, join(tarballDir, found[0]))
        }
        return [...tarballs.values()].map((file) => file.split(/[\\/]/).pop()).join(', ')
      },
      { fatal: true },
    )

    const license = existsSync(join(root, 'LICENSE')) ? readFileSync(join(root, 'LICENSE'), 'utf8') : undefined
    for (const pkg of PACKAGES) {
      await check(`tarball ${pkg.name}: files, LICENSE, source maps`, () => {
        const files = readTarball(tarballs.get(pkg.name))
        const paths = [...files.keys()]
        const problems = []
        const missing = pkg.mustShip.filter((file) => !files.has(file))
        if (missing.length > 0) problems.push(`lacks ${missing.join(', ')}`)
        const extra = paths.filter((file) => file !== 'package.json' && !file.startsWith('dist/') && !/^(README|LICENSE|CHANGELOG)/i.test(file))
        if (extra.length > 0) problems.push(`ships files outside dist/: ${extra.join(', ')}`)
        if (license === undefined) problems.push('the repository has no LICENSE file')
        if (!files.has('LICENSE')) problems.push('has no LICENSE (the package says MIT)')
        else if (license !== undefined && (files.get('LICENSE').toString('utf8') !== license)) problems.push(`its LICENSE differs from the repository's LICENSE (${pkg.dir}/LICENSE)`)
        const manifest = JSON.parse(files.get('package.json').toString('utf8'))
        if (manifest.license !== 'MIT') problems.push(`package.json says license ${manifest.license}, the LICENSE file is MIT`)
        problems.push(...sourceMapProblems(files))
        expect(problems.length === 0, problems.join('\n'))
        return `${paths.length} files`
      })
    }

    await check(
      'npm install of the tarballs into a fresh project',
      async () => {
        writeFileSync(
          join(app, 'package.json'),
          `${JSON.stringify({ name: 'conc-packaging-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
        )
        // One command for all three: npm then satisfies the backends' dependency on @conc/core
        // with the local tarball instead of asking the registry for it.
        // The README's `npm install …/tarballs/*.tgz`, with the glob expanded and npm kept quiet.
        const args = ['install', '--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=error', ...tarballs.values()]
        const r = await run(isWindows ? 'npm.cmd' : 'npm', args, { cwd: app, env: consumerEnv(), timeoutMs: 90_000 })
        expect(succeeded(r), describeRun(r))
      },
      { fatal: true },
    )

    await check('@conc/core is the local tarball, once, with workspace: rewritten', () => {
      const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'))
      const problems = []
      for (const pkg of PACKAGES) {
        const entry = lock.packages?.[`node_modules/${pkg.name}`]
        const local = JSON.parse(readFileSync(join(root, pkg.dir, 'package.json'), 'utf8'))
        const installed = JSON.parse(readFileSync(join(app, 'node_modules', pkg.name, 'package.json'), 'utf8'))
        const tarball = tarballs.get(pkg.name).split(/[\\/]/).pop()
        if (!entry?.resolved?.startsWith('file:') || !entry.resolved.endsWith(tarball)) {
          problems.push(`${pkg.name} resolved from ${entry?.resolved ?? '(nowhere)'}, not from ${tarball}`)
        }
        if (installed.version !== local.version) problems.push(`${pkg.name} installed ${installed.version}, repo has ${local.version}`)
        for (const [dep, range] of Object.entries(installed.dependencies ?? {})) {
          if (/^(workspace|catalog|link|file):/.test(range)) problems.push(`${pkg.name} depends on ${dep}@${range}`)
        }
      }
      const copies = Object.keys(lock.packages ?? {}).filter((path) => path.endsWith('node_modules/@conc/core'))
      if (copies.length !== 1) problems.push(`@conc/core installed ${copies.length} times: ${copies.join(', ')}`)
      expect(problems.length === 0, problems.join('\n'))
      const core = lock.packages['node_modules/@conc/core']
      return `node_modules/@conc/core ${core.version} <- ${core.resolved}`
    })

    await check('BullMQ and ioredis come with @conc/distributed only', () => {
      const problems = []
      for (const pkg of PACKAGES.filter((p) => p.name !== '@conc/distributed')) {
        const installed = JSON.parse(readFileSync(join(app, 'node_modules', pkg.name, 'package.json'), 'utf8'))
        const deps = { ...installed.dependencies, ...installed.peerDependencies, ...installed.optionalDependencies }
        for (const name of DISTRIBUTED_ONLY) if (name in deps) problems.push(`${pkg.name} depends on ${name}`)
      }
      const distributed = JSON.parse(readFileSync(join(app, 'node_modules', '@conc/distributed', 'package.json'), 'utf8'))
      for (const name of DISTRIBUTED_ONLY) {
        if (!(name in (distributed.dependencies ?? {}))) problems.push(`@conc/distributed does not depend on ${name}`)
        if (!existsSync(join(app, 'node_modules', name, 'package.json'))) problems.push(`${name} is not installed`)
      }
      expect(problems.length === 0, problems.join('\n'))
      const version = (name) => JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')).version
      return DISTRIBUTED_ONLY.map((name) => `${name} ${version(name)}`).join(', ')
    })

    await check('conc-worker --help runs from node_modules/.bin', async () => {
      const bin = join(app, 'node_modules', '.bin', isWindows ? 'conc-worker.cmd' : 'conc-worker')
      expect(existsSync(bin), `${bin} is missing`)
      const r = await run(bin, ['--help'], { cwd: app, env: consumerEnv() })
      expect(succeeded(r) && /^usage: conc-worker/.test(r.stdout), describeRun(r))
    })

    await check('a task through Redis and a conc-worker host of the installed package', async () => {
      const cluster = await startDistributed(app, app)
      if (cluster instanceof Skipped) return cluster
      try {
        writeFileSync(join(app, 'distributed.mjs'), DISTRIBUTED_EXAMPLE)
        const r = await run(process.execPath, ['distributed.mjs'], { cwd: app, env: { ...consumerEnv(), ...cluster.env }, timeoutMs: 60_000 })
        assertProgramRun(r, DISTRIBUTED_OUTPUT)
        return r.stdout.trimEnd()
      } finally {
        cluster.stop()
      }
    })

    await check('course example with node: Thread and Process print the same lines', async () => {
      writeFileSync(join(app, 'course.mjs'), COURSE_EXAMPLE)
      const r = await run(process.execPath, ['course.mjs'], { cwd: app, env: consumerEnv(), timeoutMs: 30_000 })
      assertProgramRun(r, COURSE_OUTPUT)
      return r.stdout.trimEnd()
    })

    const require = createRequire(join(root, 'package.json'))
    await check('TypeScript consumer type-checks against the published .d.ts', async () => {
      const tsc = require.resolve('typescript/bin/tsc')
      const typeRoot = join(root, 'node_modules', '@types')
      writeFileSync(join(app, 'consumer.ts'), TS_CONSUMER)
      writeFileSync(
        join(app, 'tsconfig.json'),
        `${JSON.stringify(
          {
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2022'],
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              exactOptionalPropertyTypes: true,
              noUncheckedIndexedAccess: true,
              verbatimModuleSyntax: true,
              skipLibCheck: false,
              noEmit: true,
              types: ['node'],
              typeRoots: [typeRoot],
            },
            files: ['consumer.ts'],
          },
          null,
          2,
        )}\n`,
      )
      const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: app, env: consumerEnv() })
      expect(succeeded(r), describeRun(r))
      const version = JSON.parse(readFileSync(require.resolve('typescript/package.json'), 'utf8')).version
      return `typescript ${version}, skipLibCheck false`
    })

    await check('TypeScript consumer runs with tsx: Thread and Process', async () => {
      let cli
      try {
        cli = createRequire(join(root, 'packages/threading/package.json')).resolve('tsx/cli')
      } catch {
        return new Skipped('tsx is not installed in the repo')
      }
      const r = await run(process.execPath, [cli, 'consumer.ts'], { cwd: app, env: consumerEnv(), timeoutMs: 30_000 })
      assertProgramRun(r, TS_OUTPUT)
    })

    await check('TypeScript consumer without @types/node (a `tsc --init` project) type-checks', async () => {
      const tsc = require.resolve('typescript/bin/tsc')
      const dir = join(app, 'no-node-types')
      mkdirSync(dir)
      writeFileSync(join(dir, 'consumer.ts'), TS_CONSUMER)
      // The project TypeScript makes for a newcomer: `types: []`, so no @types/node, whatever
      // is installed. skipLibCheck off, so that our declarations are checked too.
      const init = await run(process.execPath, [tsc, '--init', '--skipLibCheck', 'false', '--noEmit', 'true'], { cwd: dir, env: consumerEnv() })
      expect(succeeded(init), describeRun(init))
      const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir, env: consumerEnv() })
      expect(succeeded(r), `${describeRun(r)}\n(the published .d.ts files must not need Node's type declarations)`)
      const config = readFileSync(join(dir, 'tsconfig.json'), 'utf8')
      expect(/"types":\s*\[\s*\]/.test(config), `tsc --init no longer writes "types": [], so this does not test a project without @types/node:\n${config}`)
    })

    await check('CommonJS program with node: require(), module.exports targets, isMain(module); Thread, Process, executors', async () => {
      const dir = join(app, 'commonjs')
      mkdirSync(dir)
      for (const [file, code] of Object.entries(CJS_FILES)) writeFileSync(join(dir, file), code)
      const r = await run(process.execPath, ['main.cjs'], { cwd: dir, env: consumerEnv(), timeoutMs: 60_000 })
      assertProgramRun(r, CJS_OUTPUT)
    })

    for (const bundler of BUNDLERS) {
      await check(`bundled with ${bundler.name} (the README's recipe): Thread, Process, executors, Pool, also away from node_modules`, async () => {
        const dir = join(app, `bundle-${bundler.name}`)
        mkdirSync(dir)
        for (const [file, code] of Object.entries(BUNDLE_FILES)) writeFileSync(join(dir, file), code)
        const { outfile } = await bundler.bundle(dir, app)
        const bundle = join(dir, outfile)
        expect(existsSync(bundle), `${bundler.name} wrote no ${outfile}`)
        const r = await run(process.execPath, [bundle], { cwd: dir, env: consumerEnv(), timeoutMs: 60_000 })
        assertProgramRun(r, BUNDLE_OUTPUT)
        // What a deployment ships: the bundle alone, with no node_modules anywhere above it.
        const deployed = join(work, `deployed-${bundler.name}`)
        mkdirSync(deployed)
        copyFileSync(bundle, join(deployed, 'app.mjs'))
        for (let up = deployed; dirname(up) !== up; up = dirname(up)) {
          expect(!existsSync(join(up, 'node_modules')), `cannot test the bundle away from node_modules: ${join(up, 'node_modules')} exists`)
        }
        const away = await run(process.execPath, ['app.mjs'], { cwd: deployed, env: consumerEnv(), timeoutMs: 60_000 })
        assertProgramRun(away, BUNDLE_OUTPUT)
        return `${outfile}, ${Math.round(readFileSync(bundle).length / 1024)} KB`
      })
    }

    await checkDocumentation(app)
  } catch (error) {
    if (!(error instanceof Stop)) throw error
  } finally {
    cleanup()
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    if (keep) console.log(`packaging: kept ${work}`)
  }
}

await main()
const count = (status) => results.filter((result) => result.status === status).length
const failed = count('FAIL')
console.log(`packaging: ${failed === 0 ? 'PASS' : 'FAIL'} in ${seconds(performance.now() - t0)}`)
console.log(`packaging: ${count('PASS')} passed, ${failed} failed${count('SKIP') ? `, ${count('SKIP')} skipped` : ''}`)
process.exitCode = failed === 0 ? 0 : 1
