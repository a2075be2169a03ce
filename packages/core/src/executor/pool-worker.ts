/**
 * The worker side of every pool and executor: a unit "service" (see `ServiceSpec`) that runs the
 * initializer, then runs batches of tasks in order and sends back one reply per batch. Built as
 * its own entry (`dist/executor/pool-worker.js`); pools point `init.service` at it.
 */
import { context } from '../internal/context.js'
import { readyToSerialize, serializeThrown, type SerializedThrown } from '../internal/error-transport.js'
import { explainRebuiltFailure, resolveTarget } from '../internal/resolve-target.js'
import type { TargetSpec } from '../internal/target-ref.js'
import type { ServiceContext } from '../unit.js'
import {
  MODE_CALL,
  MODE_CHUNK,
  MODE_ONE,
  packChunk,
  type DoneMessage,
  type InitFailedMessage,
  type PoolWorkerData,
  type RunMessage,
  type StoppedMessage,
  type TaskFailure,
  type TaskMode,
} from './protocol.js'

type Fn = (...args: unknown[]) => unknown
/** A function, or why it could not be found. */
type Entry = { readonly fn: Fn } | { readonly error: unknown }

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

function call(fn: Fn, mode: TaskMode, payload: unknown): unknown {
  if (mode === MODE_ONE) return fn(payload)
  if (mode === MODE_CALL) return fn(...(payload as unknown[]))
  const items = payload as ArrayLike<unknown>
  const out = new Array<unknown>(items.length)
  const star = mode !== MODE_CHUNK
  for (let i = 0; i < items.length; i++) {
    const r = star ? fn(...(items[i] as unknown[])) : fn(items[i])
    if (isThenable(r)) return finishChunk(fn, star, items, out, i, r)
    out[i] = r
  }
  return out
}

async function finishChunk(fn: Fn, star: boolean, items: ArrayLike<unknown>, out: unknown[], at: number, pending: PromiseLike<unknown>): Promise<unknown[]> {
  out[at] = await pending
  for (let i = at + 1; i < items.length; i++) {
    const r = star ? fn(...(items[i] as unknown[])) : fn(items[i])
    out[i] = isThenable(r) ? await r : r
  }
  return out
}

function encodingFailure(value: unknown, error: unknown): SerializedThrown {
  let shown: string
  try {
    shown = typeof value === 'function' ? `function ${value.name || '(anonymous)'}` : String(value)
  } catch {
    shown = typeof value
  }
  return serializeThrown(
    Object.assign(new Error(`Error sending result: '${shown}'. Reason: '${(error as Error)?.message ?? String(error)}'`), {
      name: 'MaybeEncodingError',
    }),
  )
}

/** The pool-worker service. */
export async function poolWorker({ channel, data, init }: ServiceContext): Promise<void> {
  const { initializer, initargs, h } = data as PoolWorkerData
  /** Primitives in initargs or task arguments: the codec is loaded only for messages that carry some. */
  const decode = async <T>(value: T): Promise<T> => {
    const codec = await import('../internal/shared-codec.js')
    return codec.decodeShared(value, { channel, loaderHooks: init.loaderHooks })
  }
  /** A batch's primitives, kept (proxies, fresh copies) only until its reply is sent. */
  const decodeBatch = async <T>(value: T): Promise<{ readonly value: T; release(): void }> => {
    const codec = await import('../internal/shared-codec.js')
    return codec.decodeLeased(value, { channel, loaderHooks: init.loaderHooks })
  }
  const fns = new Map<number, Entry>()
  const inbox: RunMessage[] = []
  let busy = false
  let stopped!: () => void
  const stop = new Promise<void>((resolve) => (stopped = resolve))

  const resolveFn = async (spec: TargetSpec): Promise<Entry> => {
    context.bootstrapping = true
    try {
      return { fn: (await resolveTarget(spec, init.loaderHooks)).fn as Fn }
    } catch (error) {
      return { error }
    } finally {
      context.bootstrapping = false
    }
  }

  const fail = (failures: TaskFailure[] | undefined, i: number, error: unknown, fn: Fn | undefined): TaskFailure[] => {
    if (fn !== undefined) explainRebuiltFailure(error, fn as never)
    const list = failures ?? []
    list.push([i, serializeThrown(error), 0])
    return list
  }

  const reply = (message: DoneMessage): void => {
    try {
      channel.send(message)
      return
    } catch (error) {
      // Some value cannot be sent: fail those tasks, send the others (the worker lives on).
      const values = [...message.v]
      const failures = [...(message.e ?? [])]
      values.forEach((value, i) => {
        try {
          // Only on this failure path: node:v8 is not loaded in a worker thread otherwise.
          process.getBuiltinModule('node:v8').serialize(value)
        } catch (why) {
          values[i] = undefined
          failures.push([i, encodingFailure(value, why), 1])
        }
      })
      if (failures.length === (message.e?.length ?? 0)) throw error
      channel.send({ t: 'p.done', v: values, e: failures, ms: message.ms } as DoneMessage)
    }
  }

  const runBatch = async (message: RunMessage): Promise<void> => {
    const started = performance.now()
    if (message.d !== undefined) {
      for (const [id, spec] of message.d) fns.set(id, await resolveFn(spec))
    }
    const { f, m } = message
    let a = message.a
    const n = a.length
    const values = new Array<unknown>(n)
    let failures: TaskFailure[] | undefined
    let leased: { release(): void } | undefined
    if (message.h === 1) {
      try {
        const decoded = await decodeBatch(a)
        a = decoded.value
        leased = decoded
      } catch (error) {
        // The primitives could not be rebuilt here: every task of the batch fails with why.
        for (let i = 0; i < n; i++) failures = fail(failures, i, error, undefined)
        reply({ t: 'p.done', v: values, e: failures, ms: performance.now() - started } as DoneMessage)
        return
      }
    }
    const sameFn = typeof f === 'number'
    const sameMode = typeof m === 'number'
    let entry = sameFn ? fns.get(f) : undefined
    for (let i = 0; i < n; i++) {
      if (!sameFn) entry = fns.get(f[i] as number)
      const mode = (sameMode ? m : m[i]) as TaskMode
      if (entry === undefined || 'error' in entry) {
        failures = fail(failures, i, entry === undefined ? new Error('pool worker: unknown function') : entry.error, undefined)
        continue
      }
      try {
        const r = call(entry.fn, mode, a[i])
        values[i] = isThenable(r) ? await r : r
        if (mode >= MODE_CHUNK) values[i] = packChunk(values[i] as unknown[])
      } catch (error) {
        await readyToSerialize(error)
        failures = fail(failures, i, error, entry.fn)
      }
    }
    const done: DoneMessage =
      failures === undefined
        ? { t: 'p.done', v: values, ms: performance.now() - started }
        : { t: 'p.done', v: values, e: failures, ms: performance.now() - started }
    try {
      reply(done)
    } finally {
      leased?.release()
    }
  }

  let draining: Promise<void> = Promise.resolve()
  const drain = async (): Promise<void> => {
    busy = true
    try {
      for (let message = inbox.shift(); message !== undefined; message = inbox.shift()) await runBatch(message)
    } finally {
      busy = false
    }
  }

  channel.onMessage((message) => {
    if (message.t === 'p.run') {
      inbox.push(message as RunMessage)
      if (!busy) draining = drain()
    } else if (message.t === 'p.stop') {
      stopped()
    }
  })

  if (initializer !== undefined) {
    const entry = await resolveFn(initializer)
    try {
      if ('error' in entry) throw entry.error
      const r = entry.fn(...(h === 1 ? await decode(initargs) : initargs))
      if (isThenable(r)) await r
    } catch (error) {
      await readyToSerialize(error)
      // The pool starts another worker; this one ends now, normally (exit code 0: no party of a
      // primitive it was given died), whatever the initializer left running.
      await context.settle?.()
      channel.sendAndExit({ t: 'p.init-failed', e: serializeThrown(error) } as InitFailedMessage, 0)
      return
    }
  }
  channel.send({ t: 'p.ready' })
  // A stop asked by the pool (shutdown, close, maxTasksPerChild): finish what was sent, let the
  // primitives' writes land, and end now with exit code 0 (a normal end, not a death, for the
  // primitives the worker held), whatever timers or sockets the tasks left open, as Python's
  // worker exits once it is told to.
  await stop
  await draining
  await context.settle?.()
  channel.sendAndExit(STOPPED, 0)
}

const STOPPED: StoppedMessage = { t: 'p.stopped' }
