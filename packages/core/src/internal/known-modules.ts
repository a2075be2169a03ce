/**
 * The modules this program is known to use, kept apart from the locator so that the unit runtime
 * can record them without loading it: where a function's source is looked for first (the calling
 * modules, the modules units import), the namespaces of the ES modules imported here (a value's
 * place among their exports is found by identity), and a function defined in each module (through
 * which its top-level bindings can be read without an import).
 */
const known = new Set<string>()
const namespaces = new Map<string, object>()
const anchors = new Map<string, object>()

/** Records a module this program uses, with its namespace when it was imported here. */
export function noteModule(url: string | undefined, namespace?: object): void {
  if (url === undefined) return
  if (namespace !== undefined) namespaces.set(url, namespace)
  if (known.has(url)) return
  if (known.size >= 256) known.delete(known.values().next().value as string)
  known.add(url)
}

/** Records that `value` is defined in `url`. */
export function noteDefinedIn(value: object, url: string): void {
  if (!anchors.has(url)) anchors.set(url, value)
}

/** A function defined in `url`, if one is known. */
export const definedIn = (url: string): object | undefined => anchors.get(url)

/** What the locator is given about the program's modules. */
export const knowledge = {
  known: (): Iterable<string> => known,
  namespaceOf: (url: string): object | undefined => namespaces.get(url),
}
