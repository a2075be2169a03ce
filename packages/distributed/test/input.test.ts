/**
 * Bad input: what cannot travel fails at submit, before anything reaches Redis, with the local
 * backends' error classes; an oversized payload says the limit; a job someone else wrote fails
 * and the host keeps serving; a function the host does not have, or a different version of its
 * module, fails the task with an error naming the module, the export and both versions.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Queue } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { Lock } from '@conc/multiprocessing'
import { MaybeEncodingError, ProcessPoolExecutor, TargetNotFoundError, ValueError, fromModule, isConcError } from '../dist/index.js'
import { clusterSuite } from './harness/suite.js'
import { WIRE_VERSION } from '../src/wire.js'
import { skipped } from './setup/skip.js'

describe.skipIf(skipped)('bad input', () => {
  const s = clusterSuite({ hosts: 1, host: { concurrency: 2 } })
  /** Jobs of this queue not finished (finished ones stay for `resultRetention` seconds). */
  const unfinished = async (): Promise<number> => [...(await s.jobs()).values()].filter((finished) => finished === null).length

  it('unserializable arguments and synchronization primitives fail at submit with TypeError (ERR_CONC_DATA_CLONE); nothing reaches Redis', async () => {
    const ex = s.executor()
    const fn = await ex.submit(s.t.identity, (() => 1) as never).exception()
    expect(fn).toBeInstanceOf(TypeError)
    expect(isConcError(fn) && fn.code).toBe('ERR_CONC_DATA_CLONE')
    expect((fn as Error).message).toMatch(/^cannot send argument 0 \(an anonymous function\) to a worker host: .* could not be cloned\. Arguments travel by value/)
    const nested = await ex.submit(s.t.identity, { deep: [Symbol('s')] } as never).exception()
    expect((nested as Error).message).toMatch(/cannot send argument 0 .* to a worker host/)
    const lock = await ex.submit(s.t.identity, { lock: new Lock() } as never).exception()
    expect(lock).toBeInstanceOf(TypeError)
    expect((lock as Error).message).toMatch(/holds a Lock, which lives in this program's memory and cannot reach another machine/)
    expect(await unfinished()).toBe(0)
    expect(() => new ProcessPoolExecutor({ ...s.c.clientOptions, initializer: s.t.identity, initargs: [() => 1] as never })).toThrow(TypeError)
    expect(await ex.submit(s.t.square, 3)).toBe(9)
  })

  it('an oversized payload fails at submit with ValueError stating the limit (16 MiB by default)', async () => {
    const ex = s.executor()
    const big = await ex.submit(s.t.identity, new Uint8Array(13 * 1024 * 1024) as never).exception()
    expect(big).toBeInstanceOf(ValueError)
    expect((big as Error).message).toMatch(/^the task's arguments take 17\.3 MiB once encoded, more than the 16\.0 MiB a job may carry \(the 'payloadLimit' option\)/)
    const small = s.executor({ payloadLimit: 1000 })
    expect((await small.submit(s.t.identity, 'x'.repeat(2000)).exception()) as Error).toBeInstanceOf(ValueError)
    expect(await small.submit(s.t.identity, 'short')).toBe('short')
    // A result past the hosts' limit: MaybeEncodingError, naming the value by type and size (not
    // its bytes as text) and the limit.
    const result = (await ex.submit(s.t.bufferOf, 13).exception()) as Error
    expect(result).toBeInstanceOf(MaybeEncodingError)
    expect(result.message).toBe(
      "Error sending result: 'Buffer(13631488 bytes)'. Reason: 'the result takes 17.3 MiB encoded, more than the 16.0 MiB a result may carry'",
    )
  })

  it('a function that is not a top-level export of a module inside the application fails at submit, saying what to export', async () => {
    const ex = s.executor()
    const closure = await ex.submit((x: number) => x + 1, 1).exception()
    expect(closure).toBeInstanceOf(TargetNotFoundError)
    expect((closure as Error).message).toMatch(/cannot send an anonymous function to a worker host: it is not an export of .*input\.test\.ts\. Functions reach worker hosts by reference only: export the function at the top level of a module inside the application root/)
    const outside = s.files.file('outside.mjs')
    writeFileSync(outside, 'export function far() { return 1 }\n')
    const far = fromModule(((await import(pathToFileURL(outside).href)) as { far: () => number }).far, pathToFileURL(outside))
    const error = await ex.submit(far).exception()
    expect((error as Error).message).toMatch(/it is exported from .*outside\.mjs, outside the application root/)
    expect(await unfinished()).toBe(0)
  })

  it('a function imported from another module is found where it is defined, and an error class of the application comes back as itself', async () => {
    const ex = s.executor()
    // Plain imports: no fromModule. Core's locator finds the module that exports them.
    const { failWith, square, TaskError } = (await import('./fixtures/tasks.mjs')) as typeof import('./fixtures/tasks.mjs')
    expect(await ex.submit(square, 12)).toBe(144)
    const error = await ex.submit(failWith, 'no luck', 7).exception()
    expect(error).toBeInstanceOf(TaskError)
    expect((error as InstanceType<typeof TaskError>).code).toBe(7)
    expect((error as Error).message).toBe('no luck')
    expect((error as Error).stack).toContain('tasks.mjs')
  })

  it('a job written into the queue by someone else fails, and the host keeps serving', async () => {
    const queue = new Queue(s.c.queue, { connection: { url: s.c.connection } })
    try {
      const host = s.c.hosts[0]
      const from = host?.lines.length ?? 0
      const job = await queue.add('intruder', { hello: 'world' })
      await host?.waitForLine(/job \d+ \(intruder\) is not a @conc task, failed: the job data has format version undefined/, 15_000, from)
      await expect.poll(async () => (await queue.getJob(job.id as string))?.failedReason, { timeout: 10_000 }).toMatch(/^conc:malformed/)
      // Well formed, but naming a module outside the host's application: never imported.
      // (v: the job format's version.)
      await queue.add('intruder', { v: WIRE_VERSION, c: 'x', p: '../../etc/passwd', x: 'f', h: 'h', m: 0, a: '' })
      await host?.waitForLine(/raised TargetNotFoundError: worker host .* refuses to import \.\.\/\.\.\/etc\/passwd: it is not a path inside its application root/, 15_000, from)
      expect(await s.executor().submit(s.t.square, 7)).toBe(49)
    } finally {
      await queue.close()
    }
  })

  it('a function the host does not have, or another version of its module, fails the task naming the module, the export and both versions; an error class of the same build comes back as the client’s', async () => {
    const clientApp = join(s.files.dir, 'client-app')
    const hostApp = join(s.files.dir, 'host-app')
    mkdirSync(clientApp)
    mkdirSync(hostApp)
    writeFileSync(join(clientApp, 'tasks.mjs'), 'export function answer() { return 42 }\n')
    writeFileSync(join(hostApp, 'tasks.mjs'), 'export function answer() { return 43 }\n')
    writeFileSync(join(clientApp, 'extra.mjs'), 'export function added() { return 1 }\n')
    // The same build of this module on both sides: its error class comes back as the client's own.
    const errors = "export class AppError extends Error { name = 'AppError' }\nexport function boom() { throw new AppError('boom') }\n"
    writeFileSync(join(clientApp, 'errors.mjs'), errors)
    writeFileSync(join(hostApp, 'errors.mjs'), errors)
    // A host of the other build serves a queue of its own.
    const queue = `${s.c.queue}-apps`
    const other = await s.c.addHost({ app: hostApp, queue })
    try {
      const tasksUrl = pathToFileURL(join(clientApp, 'tasks.mjs'))
      const extraUrl = pathToFileURL(join(clientApp, 'extra.mjs'))
      const answer = fromModule(((await import(tasksUrl.href)) as { answer: () => number }).answer, tasksUrl)
      const added = fromModule(((await import(extraUrl.href)) as { added: () => number }).added, extraUrl)
      const ex = s.executor({ app: clientApp, queue })
      const mismatch = await ex.submit(answer).exception(30)
      expect(mismatch).toBeInstanceOf(TargetNotFoundError)
      expect((mismatch as Error).message).toMatch(
        /^worker host .* \(pid \d+\) has version [0-9a-f]{16} of tasks\.mjs, but the task was submitted with version [0-9a-f]{16} of it \(export 'answer'\): the client and the hosts run different builds/,
      )
      const missing = await ex.submit(added).exception(30)
      expect(missing).toBeInstanceOf(TargetNotFoundError)
      expect((missing as Error).message).toMatch(/^worker host .* has no module extra\.mjs in its application root .*host-app \(wanted for export 'added'\)/)
      expect(other.output()).toMatch(/raised TargetNotFoundError/)
      const errorsUrl = pathToFileURL(join(clientApp, 'errors.mjs'))
      const { boom, AppError } = (await import(errorsUrl.href)) as { boom: () => never; AppError: new () => Error }
      const thrown = await ex.submit(boom).exception(30)
      expect(thrown).toBeInstanceOf(AppError)
      expect((thrown as Error).stack).toContain('host-app')
    } finally {
      await other.stop()
    }
  })
})
