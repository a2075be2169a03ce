/**
 * How primitives (`Lock`, `Queue`, `Value`, …) reach a unit the Python way: passed in `args` (or
 * a runner subclass's fields), they arrive as working handles to the same object, not copies.
 *
 * - To a thread, a primitive travels as its `SharedArrayBuffer`s and is rebuilt over the same
 *   memory.
 * - To a process, it travels as an id; the child gets a proxy whose operations are requests to
 *   this isolate's server (sync/internal/server.ts), which owns the state.
 *
 * The runner calls {@link encodeInit} before it spawns and `attach()` after; the unit runtime calls
 * {@link decodeInit} before `run()` and {@link settleShared} after it.
 */
import type { UnitHandle, UnitKind } from '../backend.js'
import { ConcTypeError } from '../errors.js'
import { Barrier, type BarrierMeta, BarrierState } from '../sync/barrier.js'
import { Condition, ConditionState } from '../sync/condition.js'
import { Event, EventState } from '../sync/event.js'
import { RemoteBackend, clientFor, currentClient } from '../sync/internal/client.js'
import { QueueState } from '../sync/internal/queue-state.js'
import { type Backend, LocalBackend, type Primitive, type SharedState, adopt, isPrimitive, kBackend, kDescribe } from '../sync/internal/shared.js'
import { attach, register } from '../sync/internal/server.js'
import { releaseWaits } from '../sync/internal/wait.js'
import type { Typecode } from '../sync/internal/typecodes.js'
import { Lock, LockState } from '../sync/lock.js'
import { Connection, ConnectionState } from '../sync/pipe.js'
import { JoinableQueue, Queue, SimpleQueue } from '../sync/queue.js'
import { RLock, RLockState } from '../sync/rlock.js'
import { BoundedSemaphore, Semaphore, SemaphoreState } from '../sync/semaphore.js'
import { ArrayState, SharedArray, Value } from '../sync/value.js'
import type { UnitChannel } from '../unit.js'
import { context } from './context.js'
import { resolveTarget } from './resolve-target.js'
import type { UnitInit } from './wire.js'

interface Descriptor {
  readonly $concShared: 1
  readonly type: string
  readonly meta: unknown
  /** To a thread: the state's shared memory. */
  readonly shared?: unknown
  /** To a process: the id the owner serves it under. */
  readonly remote?: number
}

function isDescriptor(value: unknown): value is Descriptor {
  return typeof value === 'object' && value !== null && (value as { $concShared?: unknown }).$concShared === 1
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function encode(value: unknown, kind: UnitKind, passed: Primitive[]): unknown {
  if (isPrimitive(value)) {
    const { type, meta } = value[kDescribe](kind)
    const state = value[kBackend].state
    passed.push(value)
    const encodedMeta = encode(meta, kind, passed)
    if (kind === 'process') return { $concShared: 1, type, meta: encodedMeta, remote: register(value) } satisfies Descriptor
    if (state === undefined) {
      throw new ConcTypeError(`a ${type} received from a parent process cannot be passed on to a thread; create it in this process, or pass it to a Process`)
    }
    return { $concShared: 1, type, meta: encodedMeta, shared: state.toShared() } satisfies Descriptor
  }
  if (Array.isArray(value)) return value.map((item) => encode(item, kind, passed))
  if (isPlain(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = encode(item, kind, passed)
    return out
  }
  return value
}

/** What travels in place of `value` to a unit of `kind`, and how to serve it once the unit runs. */
export interface Encoded<T> {
  readonly value: T
  /** Call with the started unit's handle: serves (processes) and recovers (both) its primitives. */
  attach(handle: UnitHandle): void
}

/** Replaces the primitives in `value` (arrays and plain objects are searched) by what travels. */
export function encodeShared<T>(value: T, kind: UnitKind): Encoded<T> {
  const passed: Primitive[] = []
  const encoded = encode(value, kind, passed) as T
  if (passed.length === 0) return { value, attach: () => {} }
  return { value: encoded, attach: (handle) => attach(handle, passed, kind === 'thread' ? handle.id + 1 : undefined) }
}

/** Replaces the primitives in `init.args` and subclass fields by what travels to a unit of `kind`. */
export function encodeInit(init: UnitInit, kind: UnitKind): Encoded<UnitInit> {
  const encoded = encodeShared({ args: init.args, fields: init.subclass?.fields }, kind)
  const { args, fields } = encoded.value
  const subclass = init.subclass === undefined || fields === undefined ? init.subclass : { ...init.subclass, fields }
  return { value: { ...init, args, subclass }, attach: encoded.attach }
}

function stateOf(type: string, shared: unknown, meta: Record<string, unknown>): SharedState {
  switch (type) {
    case 'Lock':
      return LockState.fromShared(shared)
    case 'RLock':
      return RLockState.fromShared(shared)
    case 'Semaphore':
    case 'BoundedSemaphore':
      return SemaphoreState.fromShared(shared)
    case 'Event':
      return EventState.fromShared(shared)
    case 'Condition':
      return new ConditionState(new Int32Array(shared as SharedArrayBuffer), (meta.lock as Primitive)[kBackend].state as LockState)
    case 'Barrier':
      return BarrierState.fromShared(shared)
    case 'Queue':
    case 'JoinableQueue':
    case 'SimpleQueue':
      return QueueState.fromShared(shared)
    case 'Connection':
      return ConnectionState.fromShared(shared)
    case 'Value':
    case 'Array':
      return ArrayState.fromShared(shared)
    default:
      throw new TypeError(`unknown shared type ${type}`)
  }
}

/** Builds the public object; called inside `adopt()`, so its constructor takes the given backend. */
function build(type: string, meta: Record<string, unknown>): Primitive {
  switch (type) {
    case 'Lock':
      return new Lock()
    case 'RLock':
      return new RLock()
    case 'Semaphore':
      return new Semaphore(0)
    case 'BoundedSemaphore':
      return new BoundedSemaphore(0)
    case 'Event':
      return new Event()
    case 'Condition':
      return new Condition(meta.lock as Lock | RLock)
    case 'Queue':
      return new Queue(meta.maxsize as number)
    case 'JoinableQueue':
      return new JoinableQueue(meta.maxsize as number)
    case 'SimpleQueue':
      return new SimpleQueue()
    case 'Connection':
      return new Connection(undefined, meta.readable as boolean, meta.writable as boolean)
    case 'Value': {
      const values = meta.values as unknown[] | null
      return new Value(meta.typecode as Typecode, values?.[0] as never, { lock: meta.lock as Lock | RLock | false })
    }
    case 'Array':
      return new SharedArray(meta.typecode as Typecode, ((meta.values as unknown[] | null) ?? (meta.length as number)) as never, {
        lock: meta.lock as Lock | RLock | false,
      } as never)
    default:
      throw new TypeError(`unknown shared type ${type}`)
  }
}

async function decode(value: unknown, channel: UnitChannel, loaderHooks: readonly string[]): Promise<unknown> {
  if (isDescriptor(value)) {
    const meta = ((await decode(value.meta, channel, loaderHooks)) ?? {}) as Record<string, unknown>
    const backend: Backend =
      value.remote !== undefined ? new RemoteBackend(clientFor(channel), value.remote) : new LocalBackend(stateOf(value.type, value.shared, meta))
    // The action is resolved first: adopt() hands the backend to the very next constructor.
    if (value.type === 'Barrier') {
      const { parties, timeout, action } = meta as unknown as BarrierMeta
      const fn = action === null ? null : ((await resolveTarget(action, loaderHooks)).fn as () => unknown)
      return adopt(backend, () => new Barrier(parties, fn, timeout))
    }
    return adopt(backend, () => build(value.type, meta))
  }
  if (Array.isArray(value)) return Promise.all(value.map((item) => decode(item, channel, loaderHooks)))
  if (isPlain(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = await decode(item, channel, loaderHooks)
    return out
  }
  return value
}

/** Rebuilds the primitives in `value` (see {@link encodeShared}) as handles to the same objects. */
export function decodeShared<T>(value: T, channel: UnitChannel, loaderHooks: readonly string[]): Promise<T> {
  return decode(value, channel, loaderHooks) as Promise<T>
}

/** Rebuilds the primitives in `init.args` and subclass fields as handles to the same objects. */
export async function decodeInit(init: UnitInit, channel: UnitChannel): Promise<UnitInit> {
  const args = await decodeShared(init.args, channel, init.loaderHooks)
  if (init.subclass === undefined) return { ...init, args }
  const fields = await decodeShared(init.subclass.fields, channel, init.loaderHooks)
  return { ...init, args, subclass: { ...init.subclass, fields } }
}

/** Waits until the operations this unit did not wait for (a `Value` write, a `put`) were applied. */
export async function settleShared(): Promise<void> {
  await currentClient()?.settle()
  releaseWaits()
}

// Primitives are loaded in this isolate: the unit runtime must settle them before the unit ends.
context.settle = settleShared
