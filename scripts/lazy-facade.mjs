/**
 * Writes a package's lazy public module, `dist/lazy.js`: the module Node gives under the
 * `conc-lazy` export condition, which @conc sets for the units it starts where it is safe (core's
 * `internal/unit-conditions.ts`). A unit of a module that imports a backend package then costs what
 * a few kilobytes cost, not the whole library (issue 8 §4; ARCHITECTURE.md, "How a unit starts").
 *
 * - *Light* exports (core: those of `src/light.ts`, from modules a unit's runtime loads anyway)
 *   are exported as they are; constants (strings, numbers, booleans, registered symbols) are
 *   copied.
 * - A backend's facade imports nothing: what it re-exports from `@conc/core` is copied (constants),
 *   taken from the light exports core's unit runtime publishes on a global (core's
 *   `internal/light-global.ts`; `isMain`), or a stand-in of its own like its other exports (core's
 *   classes and functions, which its `dist/index.js` re-exports). A unit of a module that imports
 *   a backend package then loads that package's facade and nothing of core's but the unit runtime
 *   it has loaded already: one file and one package resolution fewer per backend.
 * - Every other export is a stand-in that loads the implementation, `dist/index.js` (the default
 *   public module), on first touch (construct, call, property, `instanceof`, `extends`),
 *   synchronously, with `require()` of the ES module (Node >= 20.19, the packages' engines), and
 *   then forwards to the real export. Loading also rebinds the facade's exports to the real
 *   values: ES module exports are live bindings, so code that reads `Lock` after the first use
 *   gets the real class (`x.constructor === Lock`).
 *
 * The export list and the kind of each export come from importing the built files in a child
 * process (with the condition). Run by each package's `tsup.config.ts` after its build.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * @param {object} options
 * @param {string} options.dist the package's `dist` directory
 * @param {string} [options.light] core: the built light module, relative to `dist` ('./light.js'),
 *   whose exports the facade copies
 * @param {string} [options.reexportsFrom] a backend: the package whose exports it re-exports ('@conc/core')
 */
export function writeFacade({ dist, light, reexportsFrom }) {
  dist = resolve(dist)
  const implUrl = pathToFileURL(join(dist, 'index.js')).href
  const lightUrl = light === undefined ? undefined : pathToFileURL(join(dist, light)).href
  // Imported in a child process (from the package's directory, so that bare specifiers resolve as
  // the package's would): tsup's own process keeps its module cache across watch rebuilds.
  const probe = `
    const dep = ${reexportsFrom === undefined ? 'undefined' : `await import(${JSON.stringify(reexportsFrom)})`}
    // The dependency's stand-ins, before the implementation's import loads them.
    const standIns = dep === undefined ? [] : Object.keys(dep).filter((name) => typeof dep[name]?.[Symbol.for('@conc/lazy-facade.load')] === 'function')
    const impl = await import(${JSON.stringify(implUrl)})
    const light = ${lightUrl === undefined ? 'undefined' : `await import(${JSON.stringify(lightUrl)})`}
    const kindOf = (v) => typeof v === 'function' ? 'function' : v !== null && typeof v === 'object' ? 'object' : typeof v
    // A constant is copied: its text, or the key of a registered symbol.
    const valueOf = (v) => typeof v === 'symbol' ? (Symbol.keyFor(v) === undefined ? undefined : 'Symbol.for(' + JSON.stringify(Symbol.keyFor(v)) + ')')
      : ['string', 'number', 'boolean'].includes(typeof v) || v === null ? JSON.stringify(v) : undefined
    const lightKeys = Object.keys(globalThis[Symbol.for('@conc/light')] ?? {})
    console.log(JSON.stringify({ standIns, lightKeys, exports: Object.keys(impl).map((name) => ({
      name,
      kind: kindOf(impl[name]),
      value: valueOf(impl[name]),
      from: light !== undefined && name in light && light[name] === impl[name] ? 'light'
        : dep !== undefined && name in dep && dep[name] === impl[name] ? 'dep'
        : valueOf(impl[name]) !== undefined ? 'value' : 'impl',
    })) }))
  `
  const { standIns, lightKeys, exports } = JSON.parse(execFileSync(process.execPath, ['--conditions=conc-lazy', '--input-type=module', '-e', probe], { cwd: resolve(dist, '..'), encoding: 'utf8' }))
  // A backend's re-exports of core, without importing core's facade: copied, from core's light
  // global, or stand-ins of this facade (core's dist/index.js re-exported by the backend's).
  for (const e of exports.filter((e) => e.from === 'dep')) {
    if (e.value !== undefined) e.from = 'value'
    else if (lightKeys.includes(e.name)) e.from = 'core-light'
    else if (standIns.includes(e.name)) e.from = 'impl'
    else throw new Error(`lazy-facade: ${reexportsFrom}'s export '${e.name}' is neither a constant, nor a light export (${lightKeys.join(', ')}), nor a stand-in of its facade`)
  }
  const lazy = exports.filter((e) => e.from === 'impl')
  for (const e of lazy) {
    // The facade's local bindings are '$' + the name; its helpers' names never start with '$'.
    if (e.name.startsWith('$')) throw new Error(`lazy-facade: export '${e.name}' starts with '$'`)
    if (e.kind !== 'function' && e.kind !== 'object') {
      throw new Error(`lazy-facade: export '${e.name}' of ${implUrl} is a ${e.kind} that cannot be copied: export it from the light module (src/light.ts) or re-export it from ${reexportsFrom ?? 'a dependency'}`)
    }
  }
  const names = (from) => exports.filter((e) => e.from === from).map((e) => e.name)
  const lines = [
    "// Generated by scripts/lazy-facade.mjs: the public module under the 'conc-lazy' condition. The",
    '// exports below the light ones load ./index.js (the default public module) on first use.',
  ]
  // Core: the light exports are what the build of src/light.ts put in light.js (rollup leaves an
  // entry's code in chunks, so this is imports and exports; the helpers' names must be free).
  if (light !== undefined) {
    const built = readFileSync(join(dist, light), 'utf8').trimEnd()
    const taken = HELPERS.find((name) => new RegExp(`\\b(?:function|const|let|var|class)\\s+${name.replace('$', '\\$')}\\b`).test(built))
    if (taken !== undefined) throw new Error(`lazy-facade: ${join(dist, light)} declares '${taken}', a name of the facade's helpers`)
    lines.push(built)
  }
  for (const e of exports.filter((e) => e.from === 'value')) lines.push(`export const ${e.name} = ${e.value}`)
  if (reexportsFrom !== undefined) {
    if (!lightKeys.includes('registerInternalModule')) throw new Error(`lazy-facade: ${reexportsFrom} publishes no registerInternalModule on its light global`)
    lines.push(
      "// Core's light exports: published by its unit runtime (loaded already in a unit), else from its",
      '// lazy public module.',
      `const __core = globalThis[Symbol.for('@conc/light')] ?? requireImpl(${JSON.stringify(reexportsFrom)})`,
      // The package's directory is @conc's own code from the start, as index.js would mark it.
      '__core.registerInternalModule(import.meta.url)',
      ...names('core-light').map((name) => `export const ${name} = __core.${name}`),
    )
  }
  lines.push(
    '',
    "const LOAD = Symbol.for('@conc/lazy-facade.load')",
    'let impl',
    '/** Loads the implementation (once) and rebinds the exports to its values. */',
    'function load() {',
    '  if (impl === undefined) {',
    // The dependency's facade loads its implementation first, so that this one extends the real classes.
    ...(reexportsFrom !== undefined && standIns.length > 0 ? [`    requireImpl(${JSON.stringify(reexportsFrom)}).${standIns[0]}[LOAD]?.()`] : []),
    "    const loaded = requireImpl('./index.js')",
    ...lazy.map((e) => `    $${e.name} = loaded.${e.name}`),
    '    impl = loaded',
    '  }',
    '  return impl',
    '}',
    '',
    RUNTIME,
    '',
    '// Every lazy module of the process, for @conc\'s runtime to load before it imports the library itself.',
    ";(globalThis[Symbol.for('@conc/lazy-facade.loads')] ??= new Set()).add(load)",
    '',
    ...lazy.flatMap((e) => [`let $${e.name} = stand_in('${e.name}', ${e.kind === 'function'})`, `export { $${e.name} as ${e.name} }`]),
    '',
    '// Already loaded (by @conc\'s runtime, or another lazy module): the real exports at once.',
    "if (globalThis[Symbol.for('@conc/library-loaded')] === true) load()",
  )
  writeFileSync(join(dist, 'lazy.js'), lines.join('\n') + '\n')
  return exports
}

/** The module-level names the facade declares besides the '$' bindings of its exports. */
const HELPERS = ['LOAD', 'impl', 'load', 'requireImpl', 'stand_in', 'STAND_INS', 'realOf', 'own', 'mirror', 'HANDLER', 'BOUND', 'bound', 'PROXIES', 'isStandIn', '__core']

/** The facade's helpers (plain JavaScript, no imports: `process.getBuiltinModule` is Node's). */
const RUNTIME = String.raw`function requireImpl(file) {
  const loaded = process.getBuiltinModule('node:module').createRequire(import.meta.url)(file)
  // Node's require() returns the module's namespace. A require hook that compiles ES modules
  // (tsx's) returns exports of a copy of its own: a second copy of the library, whose classes
  // are not the ones the rest of the program has. @conc sets the condition only without hooks.
  if (Object.prototype.toString.call(loaded) !== '[object Module]') {
    throw new Error(
      '@conc: ' + process.getBuiltinModule('node:url').fileURLToPath(new URL(file, import.meta.url)) +
        " was loaded by a require() hook that compiles ES modules (tsx's?), which the 'conc-lazy' export condition cannot work with. " +
        '@conc gives that condition to the threads and processes it starts when require() is Node\'s own in the program; ' +
        'start this process or thread without --conditions=conc-lazy.',
    )
  }
  return loaded
}

/**
 * A stand-in for the export 'name': it loads the implementation on first touch and forwards
 * everything to the real value. A bound function (no own properties that cannot be configured)
 * or a plain object as the proxy's target keeps the proxy invariants easy to honour: a property
 * the real value has and cannot reconfigure is copied onto the target before it is reported.
 * One handler serves every stand-in (fewer objects at import).
 */
function stand_in(name, callable) {
  const target = callable ? function () {}.bind(null) : {}
  const proxy = new Proxy(target, HANDLER)
  STAND_INS.set(target, { name, proxy })
  PROXIES.add(proxy)
  return proxy
}
const STAND_INS = new WeakMap()
const realOf = (target) => load()[STAND_INS.get(target).name]
/** The real value in place of the stand-in itself as a receiver or new.target. */
const own = (target, value, receiver) => (receiver === STAND_INS.get(target).proxy ? value : receiver)
function mirror(target, key, descriptor) {
  if (descriptor !== undefined && !descriptor.configurable) Reflect.defineProperty(target, key, descriptor)
  return descriptor
}
/** A function read through the stand-in itself runs with the real value as \`this\` (\`SyncManager.register(...)\`). */
const BOUND = new WeakMap()
function bound(value, self) {
  let fn = BOUND.get(value)
  if (fn === undefined) {
    fn = function (...args) {
      return new.target === undefined ? Reflect.apply(value, this === undefined || isStandIn(this) ? self : this, args) : Reflect.construct(value, args, new.target)
    }
    Object.defineProperty(fn, 'name', { value: value.name })
    BOUND.set(value, fn)
  }
  return fn
}
const PROXIES = new WeakSet()
const isStandIn = (value) => PROXIES.has(value)
const HANDLER = {
  get: (t, key, receiver) => {
    if (key === LOAD) return load
    const real = realOf(t)
    const value = Reflect.get(real, key, own(t, real, receiver))
    return typeof value === 'function' && receiver === STAND_INS.get(t).proxy && key !== 'constructor' && !isStandIn(value) ? bound(value, real) : value
  },
  set: (t, key, value, receiver) => Reflect.set(realOf(t), key, value, own(t, realOf(t), receiver)),
  has: (t, key) => Reflect.has(realOf(t), key),
  apply: (t, self, args) => Reflect.apply(realOf(t), self, args),
  construct: (t, args, newTarget) => Reflect.construct(realOf(t), args, own(t, realOf(t), newTarget)),
  // A class that extends the stand-in finds the real class next in its chain (registries by class).
  getPrototypeOf: (t) => realOf(t),
  ownKeys: (t) => [...new Set([...Reflect.ownKeys(realOf(t)), ...Reflect.ownKeys(t).filter((key) => !Reflect.getOwnPropertyDescriptor(t, key).configurable)])],
  getOwnPropertyDescriptor: (t, key) => mirror(t, key, Reflect.getOwnPropertyDescriptor(realOf(t), key)) ?? Reflect.getOwnPropertyDescriptor(t, key),
  defineProperty: (t, key, descriptor) => Reflect.defineProperty(realOf(t), key, descriptor) && (mirror(t, key, Reflect.getOwnPropertyDescriptor(realOf(t), key)), true),
  deleteProperty: (t, key) => Reflect.deleteProperty(realOf(t), key),
}`
