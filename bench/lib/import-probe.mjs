/**
 * One sample of bench/lib/import-cost.mjs: times `await import(specifier)` on the first line of a
 * fresh process and prints `{ ms, builtins }` (the Node built-in modules it loaded) as JSON.
 *
 *   node import-probe.mjs <specifier> [warm-up specifier]
 *
 * With a warm-up specifier, that module is imported first, untimed: the loader has then resolved
 * a package once, which every program that imports anything has done.
 */
const [specifier, warmUp] = process.argv.slice(2)
if (warmUp !== undefined) await import(warmUp)
const before = new Set(process.moduleLoadList)
const t0 = process.hrtime.bigint()
await import(specifier)
const t1 = process.hrtime.bigint()
const builtins = process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13))
process.stdout.write(`${JSON.stringify({ ms: Number(t1 - t0) / 1e6, builtins })}\n`)
