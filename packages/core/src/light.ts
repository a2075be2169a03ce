/**
 * What the lazy public module (`dist/lazy.js`, the `conc-lazy` condition) exports at once besides
 * the constants (which it copies): the functions a program or a backend calls while its modules
 * load. They come from modules a unit's runtime loads anyway. Every other export loads on first
 * use (`scripts/lazy-facade.mjs`; issue 8 §4; ARCHITECTURE.md, "How a unit starts").
 *
 * @module
 */
export { isMain } from './is-main.js'
export { registerInternalModule } from './internal/bundle.js'
