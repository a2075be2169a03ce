/**
 * The codec of values that cross to a unit with handles inside (runner args, subclass fields,
 * pool initargs, task arguments). A handle (see `handles.ts`: a `Lock`, a `Queue`, …) is replaced
 * by a descriptor on the way out and rebuilt as a handle to the same object on the way in;
 * everything else is left to the transport (structured clone, V8 serialization).
 *
 * - Values are searched the way structured clone copies them: arrays, plain objects, class
 *   instances (as their own fields), `Map`s and `Set`s. Walks remember what they saw, so cycles
 *   and shared references arrive as they were, with or without handles inside.
 * - Fast path: until a handle was made in this isolate no value can hold one, and values are
 *   passed through untouched. A value without handles is never copied.
 * - The parent flags what it encoded (`UnitInit.handles`, the pool's `h`), so a unit loads this
 *   module, and the modules of the types it meets, only when a message carries handles.
 *
 * It knows no type by name: each type registers itself (handles.ts), so `internal/` never imports
 * `sync/`.
 */
import type { UnitHandle, UnitKind } from '../backend.js'
import type { UnitChannel } from '../unit.js'
import { type Handle, type HandleHost, type HandleType, type RebuildContext, handleType, handlesExist, isHandle, kHandle } from './handles.js'
import type { UnitInit } from './wire.js'

/** What travels in place of a handle. */
interface Descriptor {
  readonly $concHandle: 1
  readonly type: string
  readonly module: string
  data: unknown
}

export const LEAF = 0
export const ARRAY = 1
export const OBJECT = 2
export const MAP = 3
export const SET = 4

/** How structured clone copies `value`: member by member (searched here) or as a whole (a leaf). */
export function shapeOf(value: object): number {
  if (Array.isArray(value)) return ARRAY
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return OBJECT
  // Typed arrays, DataViews and buffers are copied as a block: nothing inside can be a handle.
  if (ArrayBuffer.isView(value)) return LEAF
  if (value instanceof Map) return MAP
  if (value instanceof Set) return SET
  // A class instance is cloned as a plain object of its own fields; errors, dates, buffers are leaves.
  return Object.prototype.toString.call(value) === '[object Object]' ? OBJECT : LEAF
}

/**
 * A search visits this many objects, this deep, without remembering each one: the cheap way (a
 * `Set` of objects costs a hundred times more per object than the visit itself). Past that it
 * goes on remembering what it saw, so that cycles end and shared objects are visited once. It
 * never starts over.
 */
const QUICK_OBJECTS = 200_000
const QUICK_DEPTH = 64
/**
 * Containers with at least this many members are remembered from the start: visiting a large
 * object again for each reference to it is what would make a search cost more than the copy.
 */
const LARGE = 64

/** One search: how much it may still do without remembering everything, and what it remembers. */
interface Search {
  budget: number
  /** Every object seen, once the quick part is over. */
  seen: Set<object> | undefined
  /** Large containers already searched. */
  large: Set<object> | undefined
}

/** The first handle found in `container`. */
function search(container: object, walk: Search, depth: number): Handle | undefined {
  const seen = walk.seen
  if (seen !== undefined) {
    if (seen.has(container)) return undefined
    seen.add(container)
  } else if (--walk.budget < 0 || depth > QUICK_DEPTH) {
    walk.seen = new Set([container])
  } else if (walk.large?.has(container) === true) {
    return undefined
  }
  if (isHandle(container)) return container
  const shape = shapeOf(container)
  let members = 0
  if (shape === ARRAY) {
    const list = container as readonly unknown[]
    members = list.length
    // Numbers, strings and other leaves cost one typeof each.
    for (let i = 0; i < list.length; i++) {
      const item = list[i]
      if (typeof item === 'object' && item !== null) {
        const found = search(item, walk, depth + 1)
        if (found !== undefined) return found
      }
    }
  } else if (shape === OBJECT) {
    const record = container as Record<string, unknown>
    for (const key in record) {
      if (!Object.prototype.hasOwnProperty.call(record, key)) continue
      members++
      const item = record[key]
      if (typeof item === 'object' && item !== null) {
        const found = search(item, walk, depth + 1)
        if (found !== undefined) return found
      }
    }
  } else if (shape === MAP) {
    const map = container as Map<unknown, unknown>
    members = map.size
    for (const [key, item] of map) {
      if (typeof key === 'object' && key !== null) {
        const found = search(key, walk, depth + 1)
        if (found !== undefined) return found
      }
      if (typeof item === 'object' && item !== null) {
        const found = search(item, walk, depth + 1)
        if (found !== undefined) return found
      }
    }
  } else if (shape === SET) {
    members = (container as Set<unknown>).size
    for (const item of container as Set<unknown>) {
      if (typeof item === 'object' && item !== null) {
        const found = search(item, walk, depth + 1)
        if (found !== undefined) return found
      }
    }
  }
  if (members >= LARGE && walk.seen === undefined) (walk.large ??= new Set()).add(container)
  return undefined
}

/** The first handle inside `value` (searched as structured clone copies it), if any. */
export function findHandle(value: unknown): Handle | undefined {
  if (typeof value !== 'object' || value === null || !handlesExist()) return undefined
  return search(value, { budget: QUICK_OBJECTS, seen: undefined, large: undefined }, 0)
}

interface EncodeState {
  readonly kind: UnitKind
  /** Original → what travels in its place: cycles and shared references stay as they were. */
  readonly memo: Map<object, unknown>
  /** The handles encoded, with who must be told where they went. */
  readonly sent: (readonly [HandleHost, object])[]
}

function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

function encodeValue(value: unknown, state: EncodeState): unknown {
  if (typeof value !== 'object' || value === null) return value
  const known = state.memo.get(value)
  if (known !== undefined) return known
  if (isHandle(value)) return encodeHandle(value, state)
  switch (shapeOf(value)) {
    case ARRAY: {
      const list = value as readonly unknown[]
      const out = new Array<unknown>(list.length)
      state.memo.set(value, out)
      for (let i = 0; i < list.length; i++) if (i in list) out[i] = encodeValue(list[i], state)
      return out
    }
    case OBJECT: {
      const record = value as Record<string, unknown>
      const out: Record<string, unknown> = {}
      state.memo.set(value, out)
      for (const key of Object.keys(record)) put(out, key, encodeValue(record[key], state))
      return out
    }
    case MAP: {
      const out = new Map<unknown, unknown>()
      state.memo.set(value, out)
      for (const [key, item] of value as Map<unknown, unknown>) out.set(encodeValue(key, state), encodeValue(item, state))
      return out
    }
    case SET: {
      const out = new Set<unknown>()
      state.memo.set(value, out)
      for (const item of value as Set<unknown>) out.add(encodeValue(item, state))
      return out
    }
    default:
      return value
  }
}

function encodeHandle(value: Handle, state: EncodeState): Descriptor {
  const description = value[kHandle](state.kind)
  const descriptor: Descriptor = { $concHandle: 1, type: description.type, module: description.module, data: undefined }
  state.memo.set(value, descriptor)
  descriptor.data = encodeValue(description.data, state)
  if (description.host !== undefined) state.sent.push([description.host, value])
  return descriptor
}

/** What travels in place of a value, and how to tell the owners of its handles where it went. */
export interface Encoded<T> {
  readonly value: T
  /** `value` carries handles: the other side must decode it. */
  readonly handles: boolean
  /** Call with the unit the value is sent to (again for each unit it is sent to). */
  attach(handle: UnitHandle): void
  /**
   * Call when the unit is done with the value (a pool task's reply arrived): balances one
   * {@link attach}, so that its owners need not keep the handles for that unit any longer.
   */
  release(handle: UnitHandle): void
  /**
   * The value waits to be sent (a queued pool task): its owners keep what it carries as if a
   * unit had it (a pipe end's copy), until the first {@link attach} or {@link discard}.
   */
  hold(): void
  /** The value will not be sent after all (a task cancelled or failed while queued): ends {@link hold}. */
  discard(): void
}

const nothingToAttach = (): void => {}
const NOT_ENCODED = { handles: false, attach: nothingToAttach, release: nothingToAttach, hold: nothingToAttach, discard: nothingToAttach } as const

type Sent = readonly (readonly [HandleHost, object])[]

function byHost(sent: Sent): Map<HandleHost, object[]> {
  const hosts = new Map<HandleHost, object[]>()
  for (const [host, object] of sent) {
    const list = hosts.get(host)
    if (list === undefined) hosts.set(host, [object])
    else list.push(object)
  }
  return hosts
}

function attachAll(handle: UnitHandle, sent: Sent, kind: UnitKind): void {
  for (const [host, objects] of byHost(sent)) host.attach(handle, objects, kind)
}

function releaseAll(handle: UnitHandle, sent: Sent, kind: UnitKind): void {
  for (const [host, objects] of byHost(sent)) host.release?.(handle, objects, kind)
}

function queueAll(sent: Sent, delta: 1 | -1): void {
  for (const [host, objects] of byHost(sent)) host.queued?.(objects, delta)
}

/**
 * Replaces the handles in `value` by what travels to a unit of `kind`. A value without handles
 * is returned as it is.
 *
 * @throws when a handle cannot travel to that kind of unit (its type says why)
 */
export function encodeShared<T>(value: T, kind: UnitKind): Encoded<T> {
  if (findHandle(value) === undefined) return { value, ...NOT_ENCODED }
  const state: EncodeState = { kind, memo: new Map(), sent: [] }
  const encoded = encodeValue(value, state) as T
  const sent = state.sent
  let held = false
  const unhold = (): void => {
    if (!held) return
    held = false
    queueAll(sent, -1)
  }
  return {
    value: encoded,
    handles: true,
    attach: (handle) => {
      attachAll(handle, sent, kind)
      unhold()
    },
    release: (handle) => releaseAll(handle, sent, kind),
    hold: () => {
      if (held) return
      held = true
      queueAll(sent, 1)
    },
    discard: unhold,
  }
}

/** {@link encodeShared} for the args and subclass fields of a runner's init message (one graph). */
export function encodeInit(init: UnitInit, kind: UnitKind): Encoded<UnitInit> {
  const encoded = encodeShared([init.args, init.subclass?.fields] as const, kind)
  if (!encoded.handles) return { value: init, ...NOT_ENCODED }
  const [args, fields] = encoded.value
  const subclass = init.subclass === undefined || fields === undefined ? init.subclass : { ...init.subclass, fields }
  return { ...encoded, value: { ...init, args, subclass, handles: 1 } }
}

interface DecodeState {
  readonly context: RebuildContext
  readonly seen: Set<object>
  readonly built: Map<Descriptor, Promise<object>>
  readonly building: Set<Descriptor>
}

function isDescriptor(value: object): value is Descriptor {
  return (value as { $concHandle?: unknown }).$concHandle === 1
}

/** Decodes in place: what arrived is a fresh copy, so its objects (and their identities) are kept. */
async function decodeValue(value: unknown, state: DecodeState): Promise<unknown> {
  if (typeof value !== 'object' || value === null) return value
  if (isDescriptor(value)) return rebuild(value, state)
  if (state.seen.has(value)) return value
  state.seen.add(value)
  switch (shapeOf(value)) {
    case ARRAY: {
      const list = value as unknown[]
      for (let i = 0; i < list.length; i++) {
        const item = list[i]
        if (typeof item === 'object' && item !== null) {
          const decoded = await decodeValue(item, state)
          if (decoded !== item) list[i] = decoded
        }
      }
      break
    }
    case OBJECT: {
      const record = value as Record<string, unknown>
      for (const key of Object.keys(record)) {
        const item = record[key]
        if (typeof item === 'object' && item !== null) {
          const decoded = await decodeValue(item, state)
          if (decoded !== item) put(record, key, decoded)
        }
      }
      break
    }
    case MAP: {
      const map = value as Map<unknown, unknown>
      const entries: [unknown, unknown][] = []
      let changed = false
      for (const [key, item] of map) {
        const entry: [unknown, unknown] = [await decodeValue(key, state), await decodeValue(item, state)]
        changed ||= entry[0] !== key || entry[1] !== item
        entries.push(entry)
      }
      if (changed) {
        map.clear()
        for (const [key, item] of entries) map.set(key, item)
      }
      break
    }
    case SET: {
      const set = value as Set<unknown>
      const items: unknown[] = []
      let changed = false
      for (const item of set) {
        const decoded = await decodeValue(item, state)
        changed ||= decoded !== item
        items.push(decoded)
      }
      if (changed) {
        set.clear()
        for (const item of items) set.add(item)
      }
      break
    }
  }
  return value
}

function rebuild(descriptor: Descriptor, state: DecodeState): Promise<object> {
  // The walk is sequential: a descriptor met while it is being rebuilt is inside its own data.
  if (state.building.has(descriptor)) return Promise.reject(new TypeError(`a ${descriptor.type} handle cannot contain itself`))
  let built = state.built.get(descriptor)
  if (built === undefined) {
    state.building.add(descriptor)
    built = rebuildNew(descriptor, state).finally(() => state.building.delete(descriptor))
    state.built.set(descriptor, built)
  }
  return built
}

async function rebuildNew(descriptor: Descriptor, state: DecodeState): Promise<object> {
  const data = await decodeValue(descriptor.data, state)
  return (await typeOf(descriptor)).rebuild(data, state.context)
}

/** The registered type of `descriptor`, importing the module that registers it on first need. */
async function typeOf(descriptor: Descriptor): Promise<HandleType> {
  const known = handleType(descriptor.type)
  if (known !== undefined) return known
  await import(descriptor.module)
  const type = handleType(descriptor.type)
  if (type === undefined) throw new TypeError(`${descriptor.module} registers no handle type '${descriptor.type}'`)
  return type
}

/**
 * Rebuilds the handles in `value` (see {@link encodeShared}) as handles to the same objects.
 * `value` is what arrived (a fresh copy): it is decoded in place and returned. What it rebuilt is
 * kept for the unit's whole life (runner args, initargs); see {@link decodeLeased}.
 */
export function decodeShared<T>(value: T, context: RebuildContext): Promise<T> {
  const state: DecodeState = { context, seen: new Set(), built: new Map(), building: new Set() }
  return decodeValue(value, state) as Promise<T>
}

/**
 * {@link decodeShared} for a message the unit is done with at some point (a pool task): call
 * `release()` then, and each type may let go of what it keeps for the handles rebuilt here.
 */
export async function decodeLeased<T>(value: T, context: RebuildContext): Promise<{ readonly value: T; release(): void }> {
  const state: DecodeState = { context: { ...context, leased: true }, seen: new Set(), built: new Map(), building: new Set() }
  const release = (): void => {
    for (const [descriptor, object] of state.built) {
      object.then(
        (rebuilt) => handleType(descriptor.type)?.release?.(rebuilt),
        () => {},
      )
    }
  }
  try {
    return { value: (await decodeValue(value, state)) as T, release }
  } catch (error) {
    release() // what was rebuilt before the failure
    throw error
  }
}

/** Rebuilds the handles in `init.args` and the subclass fields (one graph, as they were sent). */
export async function decodeInit(init: UnitInit, channel: UnitChannel): Promise<UnitInit> {
  const [args, fields] = await decodeShared([init.args, init.subclass?.fields] as const, { channel, loaderHooks: init.loaderHooks })
  const subclass = init.subclass === undefined || fields === undefined ? init.subclass : { ...init.subclass, fields }
  return { ...init, args, subclass }
}
