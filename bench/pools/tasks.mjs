// The benchmark's task functions, shared by every pool under test. No imports: every library's
// worker loads this module.

/** Workload 1: a trivial task. */
export function inc(x) {
  return x + 1
}

/** Workload 2: a CPU-bound task, a naive prime count below `n`. */
export function countPrimes(n) {
  let count = 0
  for (let i = 2; i < n; i++) {
    let prime = true
    for (let d = 2; d * d <= i; d++) {
      if (i % d === 0) {
        prime = false
        break
      }
    }
    if (prime) count++
  }
  return count
}

/** Workload 3 for libraries without a chunked map: one task maps a chunk. */
export function incChunk(chunk) {
  const out = new Array(chunk.length)
  for (let i = 0; i < chunk.length; i++) out[i] = chunk[i] + 1
  return out
}

/** piscina / tinypool call a named export with one argument. */
export default inc
