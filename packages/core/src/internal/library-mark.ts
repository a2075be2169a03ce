/**
 * Marks the library as loaded in this isolate, for the lazy public modules (`dist/lazy.js`,
 * `scripts/lazy-facade.mjs`): one evaluated after this gives its real exports at once. Imported
 * by `src/index.ts` only, so the build puts it with the library, not with a unit's runtime.
 */
;(globalThis as Record<symbol, unknown>)[Symbol.for('@conc/library-loaded')] = true
