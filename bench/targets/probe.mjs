/**
 * Probe targets for profile-startup.mjs: they record when the target ran, on the monotonic clock
 * every thread and process of the machine shares, and how long the unit had been alive by then.
 * No imports, so that the probe module costs nothing to load.
 */
function sample() {
  const timing = performance.nodeTiming
  return [Number(process.hrtime.bigint()) / 1e6, performance.now(), timing.bootstrapComplete]
}

/** Threads: writes into a SharedArrayBuffer the parent reads. */
export function probeShared(sab) {
  new Float64Array(sab).set(sample())
}

/** Processes: writes to the file whose path it is given. */
export function probeFile(path) {
  process.getBuiltinModule('node:fs').writeFileSync(path, JSON.stringify(sample()))
}
