// The benchmark's task functions: the same module for @conc's hosts (by reference) and for the
// raw BullMQ hosts (imported by their processor).

/** A no-op task: returns its argument. */
export function noop(x) {
  return x
}

/** CPU-bound: `n` rounds of integer mixing, never yielding; returns a checksum. */
export function cpu(n) {
  let h = 0x811c9dc5
  for (let i = 0; i < n; i++) h = Math.imul(h ^ (i & 0xff), 0x01000193) >>> 0
  return h
}
