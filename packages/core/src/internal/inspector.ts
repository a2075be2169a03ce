/**
 * What V8 knows about a function and nothing else can tell: where its code is, and the bindings of
 * the module it was defined in. Read synchronously through a same-thread `node:inspector` session
 * (its calls answer before `post` returns). Every function here returns `undefined` when the
 * inspector is not available (a Node built without it, or a session that answers late).
 */
import type { Session } from 'node:inspector'

/** Where a function's code is: V8's script id and a position inside its text (0-based). */
export interface FunctionLocation {
  readonly scriptId: string
  readonly line: number
  readonly column: number
}

interface RemoteObject {
  readonly objectId?: string
  readonly description?: string
  readonly value?: unknown
}
interface PropertyDescriptor {
  readonly name: string
  readonly value?: RemoteObject
}
interface Properties {
  readonly result: readonly PropertyDescriptor[]
  readonly internalProperties?: readonly PropertyDescriptor[]
}

let session: Session | null | undefined
const GROUP = '@conc/locator'
const kProbe = Symbol.for('@conc/inspector-probe')
const PROBE = 'globalThis[Symbol.for("@conc/inspector-probe")]'

function open(): Session | undefined {
  if (session === undefined) {
    try {
      const inspector = process.getBuiltinModule('node:inspector') as typeof import('node:inspector')
      const s = new inspector.Session()
      s.connect()
      session = s
    } catch {
      session = null
    }
  }
  return session ?? undefined
}

function post<T>(method: string, params?: object): T {
  const s = open()
  if (s === undefined) throw new Error('no inspector')
  let done = false
  let failure: Error | null = null
  let result: unknown
  s.post(method, params, (error: Error | null, value?: unknown) => {
    done = true
    failure = error
    result = value
  })
  if (!done) throw new Error(`${method} answered asynchronously`)
  if (failure !== null) throw failure
  return result as T
}

/** Calls `fn` with the inspector's id of `value`, releasing it afterwards. */
function withRemote<T>(value: unknown, fn: (objectId: string) => T): T | undefined {
  if (open() === undefined) return undefined
  const holder = globalThis as Record<symbol, unknown>
  try {
    holder[kProbe] = value
    const { result } = post<{ result: RemoteObject }>('Runtime.evaluate', { expression: PROBE, objectGroup: GROUP, silent: true })
    return result.objectId === undefined ? undefined : fn(result.objectId)
  } catch {
    return undefined
  } finally {
    delete holder[kProbe]
    try {
      post('Runtime.releaseObjectGroup', { objectGroup: GROUP })
    } catch {
      // nothing to release
    }
  }
}

const internals = (objectId: string): readonly PropertyDescriptor[] =>
  post<Properties>('Runtime.getProperties', { objectId, ownProperties: true }).internalProperties ?? []

/** V8's `[[FunctionLocation]]` of `fn`; `undefined` for native and bound functions. */
export function functionLocation(fn: object): FunctionLocation | undefined {
  return withRemote(fn, (objectId) => {
    const location = internals(objectId).find((p) => p.name === '[[FunctionLocation]]')?.value?.value as
      | { scriptId: string; lineNumber: number; columnNumber: number }
      | undefined
    return location === undefined ? undefined : { scriptId: location.scriptId, line: location.lineNumber, column: location.columnNumber }
  })
}

/**
 * The URL of every script V8 has compiled, by script id. This is the expensive call (tens of
 * milliseconds, more with a large heap): it turns the Debugger on just long enough to hear the
 * list, because a Debugger left on makes promises and async functions several times slower.
 */
export function scriptUrls(): ReadonlyMap<string, string> | undefined {
  const s = open()
  if (s === undefined) return undefined
  const urls = new Map<string, string>()
  const listener = (message: { params: { scriptId: string; url: string } }): void => {
    urls.set(message.params.scriptId, message.params.url)
  }
  s.on('Debugger.scriptParsed', listener)
  try {
    post('Debugger.enable')
    return urls
  } catch {
    return undefined
  } finally {
    try {
      post('Debugger.disable')
    } catch {
      // it was not enabled
    }
    s.off('Debugger.scriptParsed', listener)
  }
}

/**
 * The value of the top-level binding `name` in the module that defines `anchor`, read from
 * `anchor`'s scope chain: no import, so it works while that module is still being evaluated (the
 * program's entry module, suspended at a top-level `await`). `undefined` if there is none.
 */
export function moduleBinding(anchor: object, name: string): unknown {
  const holder = globalThis as Record<symbol, unknown>
  return withRemote(anchor, (objectId) => {
    const scopes = internals(objectId).find((p) => p.name === '[[Scopes]]')?.value?.objectId
    if (scopes === undefined) return undefined
    const list = post<Properties>('Runtime.getProperties', { objectId: scopes, ownProperties: true }).result
    const module = list.find((p) => p.value?.description === 'Module')?.value?.objectId
    if (module === undefined) return undefined
    const vars = post<Properties>('Runtime.getProperties', { objectId: module, ownProperties: true }).result
    const binding = vars.find((p) => p.name === name)?.value?.objectId
    if (binding === undefined) return undefined
    post('Runtime.callFunctionOn', {
      objectId: binding,
      functionDeclaration: `function () { 'use strict'; ${PROBE} = this }`,
      silent: true,
    })
    return holder[kProbe]
  })
}
