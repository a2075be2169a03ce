/**
 * The light exports (`../light.ts`), published on a global when the unit runtime loads: a
 * backend's lazy public module takes `isMain` and `registerInternalModule` from here, so that a
 * unit of a module that imports a backend package does not load core's own lazy module (one file
 * and one package resolution fewer per unit; `scripts/lazy-facade.mjs`). The first copy of core
 * that loads publishes it; both functions work for any copy (`isMain` reads only its argument).
 *
 * @module
 */
import { isMain } from '../is-main.js'
import { registerInternalModule } from './bundle.js'

/** Where the light exports are published. */
export const LIGHT_KEY = Symbol.for('@conc/light')

;(globalThis as { [LIGHT_KEY]?: unknown })[LIGHT_KEY] ??= Object.freeze({ isMain, registerInternalModule })
