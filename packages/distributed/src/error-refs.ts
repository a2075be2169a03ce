/**
 * Errors across machines: core's error transport (a class travels by reference: @conc's own and
 * the built-ins by name, any other by the module that exports it), with the references to modules
 * of the application made portable. A host names such a module by its path inside its application
 * root (`conc-app:tasks/errors.js`); the client reads it inside its own. So a task's `MyError`,
 * exported by the application, comes back as a `MyError` even though the two machines keep the
 * application in different directories.
 */
import { isAbsolute, join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type ClassRef, deserializeThrown, loadErrorClasses, readyToSerialize, type SerializedThrown, serializeThrown } from '@conc/core/engine'

const APP = 'conc-app:'

type Serialized = SerializedThrown & { readonly classes?: readonly ClassRef[]; readonly cause?: SerializedThrown; readonly errors?: readonly SerializedThrown[] }

/** `serialized` with each class reference's module passed through `map`, causes and errors too. */
function mapModules(serialized: SerializedThrown, map: (module: string) => string): SerializedThrown {
  if ('$concValue' in serialized) return serialized
  const s = serialized as Serialized & { readonly $concError: 1 }
  return {
    ...s,
    ...(s.classes === undefined ? {} : { classes: s.classes.map((ref) => ('module' in ref ? { ...ref, module: map(ref.module) } : ref)) }),
    ...(s.cause === undefined ? {} : { cause: mapModules(s.cause, map) }),
    ...(s.errors === undefined ? {} : { errors: s.errors.map((e) => mapModules(e, map)) }),
  } as SerializedThrown
}

/** On a host: what `thrown` becomes for the client, modules inside `root` named by their path there. */
export async function serializeForClient(thrown: unknown, root: string): Promise<SerializedThrown> {
  await readyToSerialize(thrown)
  return mapModules(serializeThrown(thrown), (module) => {
    if (!module.startsWith('file:')) return module
    const rel = relative(root, fileURLToPath(module))
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? module : `${APP}${rel.split(sep).join('/')}`
  })
}

/**
 * On a client: the error a host sent, rebuilt as its class where this program can find it (a
 * promise when a class must be imported first).
 */
export function rebuildError(serialized: SerializedThrown, root: string): unknown {
  const local = mapModules(serialized, (module) => (module.startsWith(APP) ? pathToFileURL(join(root, module.slice(APP.length))).href : module))
  const loading = loadErrorClasses(local)
  return loading === undefined ? deserializeThrown(local) : loading.then(() => deserializeThrown(local))
}
