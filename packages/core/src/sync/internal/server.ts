/**
 * The owner side: the process that created a primitive answers the requests of the child
 * processes it was passed to. One server per isolate; each unit is attached with the primitives
 * it was given, when it starts and again with each later message that carries more (a pool
 * worker's tasks). When the unit exits, its waits are cancelled, items handed to it but not
 * acknowledged go back to the front of their queue, and every primitive it was given or used is
 * recovered for it, whether or not it ever made a request (see docs/primitives.md).
 */
import type { UnitHandle, UnitKind } from '../../backend.js'
import { serializeThrown } from '../../internal/error-transport.js'
import type { CallMessage, ReplyBody, ReplyMessage } from './client.js'
import { type Primitive, Undoable, kBackend, newRemoteOwner } from './shared.js'
import { UNIT_DIED } from './wait.js'

/** The operations a unit may ask for; anything else is refused. */
export const OPS = new Set([
  'acquire', 'release', 'locked', 'getValue', 'set', 'clear', 'isSet', 'wait', 'notify', 'trip', 'abort',
  'reset', 'nWaiting', 'broken', 'put', 'get', 'qsize', 'taskDone', 'join', 'poll', 'send', 'recv',
  'close', 'load', 'store', 'storeMany', 'recover',
])

/** How long after a process exits its last acknowledgements may still arrive. */
const GRACE_MS = 100

const ids = new WeakMap<Primitive, number>()
/**
 * Held weakly: every unit it was sent to holds it (`given`) while the unit is attached, so an
 * object that neither the program nor a live unit holds (one passed to a task, say) is freed.
 */
const objects = new Map<number, WeakRef<Primitive>>()
const forget = new FinalizationRegistry<number>((id) => objects.delete(id))
let nextId = 0

/** Makes `object` reachable by the units it is passed to; returns its id. */
export function register(object: Primitive): number {
  let id = ids.get(object)
  if (id === undefined) {
    id = ++nextId
    ids.set(object, id)
    objects.set(id, new WeakRef(object))
    forget.register(object, id)
  }
  return id
}

/** A started unit that was given primitives. */
interface Attached {
  readonly key: string
  /** Owner ids of the unit (and of the units it forwards for), by key. */
  readonly owners: Map<string, number>
  /** What it was given: recovered for it when it exits, even if it never made a request. */
  readonly given: Set<Primitive>
  readonly touched: Set<Primitive>
  readonly pending: Map<number, AbortController>
  readonly inflight: Map<number, () => void>
  /** The unit exited: no new requests; acknowledgements may still arrive for a moment. */
  exited: boolean
  /** Cleaned up: nothing more is sent or accepted. */
  dead: boolean
}

const attached = new WeakMap<UnitHandle, Attached>()

function ownerNum(unit: Attached, key: string): number {
  let num = unit.owners.get(key)
  if (num === undefined) {
    num = newRemoteOwner()
    unit.owners.set(key, num)
  }
  return num
}

async function serve(unit: Attached, handle: UnitHandle, message: CallMessage): Promise<void> {
  const reply = (m: ReplyBody): void => {
    const full: ReplyMessage = { t: 'sync.reply', rid: message.rid, ...m }
    if (!unit.exited) handle.send(full)
  }
  const object = objects.get(message.id)?.deref()
  if (object === undefined || !OPS.has(message.op)) {
    reply({ ok: false, error: serializeThrown(new TypeError(`no shared object ${message.id} with operation '${message.op}'`)) })
    return
  }
  unit.touched.add(object)
  const key = message.owner === undefined ? unit.key : `${unit.key}/${message.owner}`
  const controller = new AbortController()
  unit.pending.set(message.rid, controller)
  try {
    const result = await object[kBackend].call(message.op, message.args, { signal: controller.signal, as: { key, num: ownerNum(unit, key) } })
    if (result instanceof Undoable) {
      if (unit.exited || controller.signal.aborted) {
        result.undo()
        reply({ ok: false, error: serializeThrown(controller.signal.reason ?? new Error('the unit exited')) })
        return
      }
      unit.inflight.set(message.rid, result.undo)
      reply({ ok: true, value: result.value, ack: true })
    } else {
      reply({ ok: true, value: result, ack: false })
    }
  } catch (error) {
    reply({ ok: false, error: serializeThrown(error) })
  } finally {
    unit.pending.delete(message.rid)
  }
}

/** Recoveries scheduled or running: a unit that forwards for its own children finishes them before it ends. */
const recovering = new Set<Promise<unknown>>()

/** Resolves once every recovery scheduled so far has been applied (see settleShared). */
export async function recovered(): Promise<void> {
  while (recovering.size > 0) await Promise.allSettled([...recovering])
}

function cleanUp(unit: Attached, died: boolean, delay: number): void {
  unit.exited = true
  for (const controller of unit.pending.values()) controller.abort(UNIT_DIED)
  let done!: () => void
  const recovery = new Promise<void>((resolve) => (done = resolve))
  recovering.add(recovery)
  setTimeout(() => {
    unit.dead = true
    for (const undo of unit.inflight.values()) undo()
    unit.inflight.clear()
    const calls: Promise<unknown>[] = []
    for (const object of new Set([...unit.given, ...unit.touched])) {
      for (const [key, num] of unit.owners) {
        calls.push(object[kBackend].call('recover', [died], { as: { key, num } }).catch(() => {}))
      }
    }
    // A forwarded recovery (the object is a proxy of the parent's) is a request: wait for it.
    void Promise.allSettled(calls).then(() => {
      recovering.delete(recovery)
      done()
    })
  }, delay).unref()
}

/**
 * Serves `objects` (and anything else the unit asks for by id) to the unit behind `handle`, and
 * recovers them for it when it exits. Called again for the same unit, it adds to what the unit
 * was given. A thread uses the memory directly: only the recovery is needed, for its owner id
 * in shared memory (`threadId + 1`).
 */
export function attach(handle: UnitHandle, objects: readonly Primitive[], kind: UnitKind): void {
  const known = attached.get(handle)
  if (known !== undefined) {
    for (const object of objects) known.given.add(object)
    return
  }
  const key = String(handle.id)
  const unit: Attached = {
    key,
    owners: new Map(),
    given: new Set(objects),
    touched: new Set(),
    pending: new Map(),
    inflight: new Map(),
    exited: false,
    dead: false,
  }
  attached.set(handle, unit)
  if (kind === 'thread') {
    unit.owners.set(key, handle.id + 1)
  } else {
    // Its own owner id from the start: a unit that never made a request is recovered too.
    ownerNum(unit, key)
    handle.onMessage((message) => {
      if (unit.dead) return
      switch (message.t) {
        case 'sync.call':
          if (!unit.exited) void serve(unit, handle, message as CallMessage)
          break
        case 'sync.cancel':
          unit.pending.get((message as CallMessage).rid)?.abort(new DOMException('This operation was aborted', 'AbortError'))
          break
        case 'sync.ack':
          unit.inflight.delete((message as CallMessage).rid)
          break
        case 'sync.nack':
          unit.inflight.get((message as CallMessage).rid)?.()
          unit.inflight.delete((message as CallMessage).rid)
          break
      }
    })
  }
  handle.onExit((exit) => cleanUp(unit, exit.signal !== null || exit.code !== 0, kind === 'thread' ? 0 : GRACE_MS))
}
