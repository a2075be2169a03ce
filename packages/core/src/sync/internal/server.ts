/**
 * The owner side: the process that created a primitive answers the requests of the child
 * processes it was passed to. One server per isolate; each unit is attached with the primitives
 * it was given, when it starts and again with each later message that carries more (a pool
 * worker's tasks). A message the unit is done with (a task whose reply arrived) is released:
 * its primitives are kept for the unit only while another message in flight carries them or the
 * unit holds something in them (a lock it took). When the unit exits, its waits are cancelled,
 * items handed to it but not acknowledged go back to the front of their queue, and every
 * primitive it was given (and still holds) or used is recovered for it, whether or not it ever
 * made a request (see docs/primitives.md).
 */
import type { UnitHandle, UnitKind } from '../../backend.js'
import { addRecovery } from '../../internal/context.js'
import { drain } from '../../internal/drain.js'
import { endDescendants, threadSeqOf } from '../../internal/thread-registry.js'
import { serializeThrown } from '../../internal/error-transport.js'
import type { CallMessage, ReplyBody, ReplyMessage } from './client.js'
import { type OpContext, type Primitive, Undoable, kBackend, kCopies, newRemoteOwner } from './shared.js'
import { UNIT_DIED } from './wait.js'

/** The operations a unit may ask for; anything else is refused. */
export const OPS = new Set([
  'acquire', 'release', 'locked', 'getValue', 'set', 'clear', 'isSet', 'wait', 'notify', 'trip', 'abort',
  'reset', 'nWaiting', 'broken', 'put', 'get', 'qsize', 'taskDone', 'join', 'poll', 'send', 'recv',
  'close', 'load', 'store', 'storeMany', 'recover', 'holds', 'given', 'left', 'queued',
])

/** How long after a process exits its last acknowledgements may still arrive. */
const GRACE_MS = 100

const ids = new WeakMap<Primitive, number>()
/**
 * Held weakly: a unit it was sent to holds it (`given`, `held`) while the unit may use it, so an
 * object that neither the program nor a unit that may use it holds (one passed to a finished
 * task, say) is freed.
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
  /**
   * What it was given, with how many messages it has not released carry each (the args of a
   * runner, a pool's initargs: never released). Recovered for it when it exits, even if it never
   * made a request.
   */
  readonly given: Map<Primitive, number>
  /**
   * Not (or no longer) given, but used by a request, or released while the unit still held
   * something in it: recovered too. Checked again on each release, and let go of once the unit
   * holds nothing in it.
   */
  readonly held: Set<Primitive>
  /** Requests being served, per object: a unit waiting on an object holds it. */
  readonly serving: Map<Primitive, number>
  readonly pending: Map<number, AbortController>
  readonly inflight: Map<number, () => void>
  /** The unit exited: no new requests; acknowledgements may still arrive for a moment. */
  exited: boolean
  /** Cleaned up: nothing more is sent or accepted. */
  dead: boolean
  /** A thread's registration in the process's thread table (0: a process, or not registered). */
  readonly seq: number
  /**
   * Owners it forwards for (its own units, `key/…`) that it has recovered already: they ended
   * before it, and were recovered as they ended (a lock they kept is theirs, as in Python).
   */
  readonly ended: Set<string>
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
  if (!unit.given.has(object)) unit.held.add(object)
  const key = message.owner === undefined ? unit.key : `${unit.key}/${message.owner}`
  const controller = new AbortController()
  unit.pending.set(message.rid, controller)
  unit.serving.set(object, (unit.serving.get(object) ?? 0) + 1)
  try {
    const as = { key, num: ownerNum(unit, key) }
    const result =
      message.op === 'holds' ? await holds(object, as) : await object[kBackend].call(message.op, message.args, { signal: controller.signal, as })
    if (message.op === 'recover' && key !== unit.key) unit.ended.add(key)
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
    const serving = (unit.serving.get(object) ?? 1) - 1
    if (serving === 0) unit.serving.delete(object)
    else unit.serving.set(object, serving)
  }
}

/**
 * Whether the owner `as` holds something in `object` that a recovery would undo (a lock it took).
 * Asked where the state lives: a primitive this process received from its parent asks there.
 */
function holds(object: Primitive, as: { readonly key: string; readonly num: number }): boolean | Promise<boolean> {
  const backend = object[kBackend]
  const state = backend.state
  if (state === undefined) return backend.call('holds', [], { as }).then((held) => held === true, () => false)
  const ctx: OpContext = { owner: as.num, signal: undefined, remote: true }
  return state.holds?.(ctx) ?? false
}

/** Lets go of what `unit` no longer uses: objects that no message in flight carries, and that it holds nothing in. */
function prune(unit: Attached): void {
  for (const object of unit.held) {
    if (unit.serving.has(object)) continue
    const answers: (boolean | Promise<boolean>)[] = []
    for (const [key, num] of unit.owners) answers.push(holds(object, { key, num }))
    if (answers.every((held) => held === false)) {
      unit.held.delete(object)
    } else if (!answers.includes(true)) {
      // Asked where the state lives (this process forwards for its parent).
      void Promise.all(answers).then((held) => {
        if (!held.includes(true) && !unit.exited && !unit.serving.has(object)) unit.held.delete(object)
      })
    }
  }
}

/** Recoveries scheduled or running: a unit that forwards for its own children finishes them before it ends. */
const recovering = new Set<Promise<unknown>>()

/**
 * Resolves once every recovery scheduled so far has been applied (see settleShared), keeping the
 * unit alive meanwhile: the recoveries wait on unref'd timers (`../../internal/drain.ts`).
 */
export function recovered(): Promise<void> {
  return drain(recovering)
}

function cleanUp(handle: UnitHandle, unit: Attached, died: boolean, delay: number): void {
  unit.exited = true
  for (const controller of unit.pending.values()) controller.abort(UNIT_DIED)
  let done!: () => void
  const recovery = new Promise<void>((resolve) => (done = resolve))
  recovering.add(recovery)
  // For its runner's join() (see runner.ts).
  addRecovery(handle, recovery)
  setTimeout(() => {
    unit.dead = true
    for (const undo of unit.inflight.values()) undo()
    unit.inflight.clear()
    const calls: Promise<unknown>[] = []
    const objects = new Set([...unit.given.keys(), ...unit.held])
    // A thread's threads that were still running (its pool's workers, threads it started) were
    // ended with it, whatever its own exit: what they held of what it was given (a lock, a copy of
    // a pipe end) has nobody else to let it go, and they count as died.
    const ended = objects.size > 0 && unit.seq !== 0 ? endDescendants(unit.seq) : []
    for (const object of objects) {
      for (const [key, num] of unit.owners) {
        // Its own units it had not recovered yet were killed with it (no orphans), whatever its exit.
        if (unit.ended.has(key)) continue
        calls.push(object[kBackend].call('recover', [key === unit.key ? died : true], { as: { key, num } }).catch(() => {}))
      }
      for (const ident of ended) {
        calls.push(object[kBackend].call('recover', [true], { as: { key: String(ident), num: ident + 1 } }).catch(() => {}))
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
    give(known, objects)
    return
  }
  const key = String(handle.id)
  const unit: Attached = {
    key,
    owners: new Map(),
    given: new Map(),
    held: new Set(),
    serving: new Map(),
    pending: new Map(),
    inflight: new Map(),
    exited: false,
    dead: false,
    // Read now, while it runs: its entry may be reused once it has ended.
    seq: kind === 'thread' ? threadSeqOf(handle.id) : 0,
    ended: new Set(),
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
  give(unit, objects)
  handle.onExit((exit) => cleanUp(handle, unit, exit.signal !== null || exit.code !== 0, kind === 'thread' ? 0 : GRACE_MS))
}

function give(unit: Attached, objects: readonly Primitive[]): void {
  for (const object of objects) {
    const count = unit.given.get(object) ?? 0
    unit.given.set(object, count + 1)
    if (count === 0 && kCopies in object) tell(unit, object, 'given')
  }
}

/** `objects` wait in a message not yet sent to a unit (`delta` 1), or no longer (-1): see `Encoded.hold`. */
export function queued(objects: readonly Primitive[], delta: 1 | -1): void {
  for (const object of objects) if (kCopies in object) object[kBackend].call('queued', [delta]).catch(() => {})
}

/** Tells the state of a copied primitive (a pipe end) that `unit` was given a copy or let go of it. */
function tell(unit: Attached, object: Primitive, op: 'given' | 'left'): void {
  const as = { key: unit.key, num: ownerNum(unit, unit.key) }
  // Applied synchronously when the state is in this process, before the program's next step.
  object[kBackend].call(op, [], { as }).catch(() => {})
}

/**
 * The unit behind `handle` is done with a message that carried `objects` (balances one
 * {@link attach}): an object no other message in flight carries is let go of for this unit,
 * unless the unit still holds something in it (a lock a task took and kept is still released if
 * the unit dies later). Pool workers live as long as their pool: without this, every primitive
 * ever passed to a task would stay alive (and be recovered) until the worker exits.
 */
export function release(handle: UnitHandle, objects: readonly Primitive[]): void {
  const unit = attached.get(handle)
  if (unit === undefined || unit.exited) return
  for (const object of objects) {
    const count = unit.given.get(object)
    if (count === undefined) continue
    if (count > 1) {
      unit.given.set(object, count - 1)
    } else {
      unit.given.delete(object)
      unit.held.add(object)
      if (kCopies in object) tell(unit, object, 'left')
    }
  }
  prune(unit)
}
