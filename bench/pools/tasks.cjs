// The benchmark's task functions, shared by every pool under test (one source of truth: the
// ESM wrapper tasks.mjs and every library's worker file load this module). No imports.
'use strict'

/** A trivial task. */
function inc(x) {
  return x + 1
}

/** A CPU-bound task: a naive prime count below `n`. */
function countPrimes(n) {
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

/** `map` for libraries without a chunked map: one task maps a chunk. */
function incChunk(chunk) {
  const out = new Array(chunk.length)
  for (let i = 0; i < chunk.length; i++) out[i] = chunk[i] + 1
  return out
}

/**
 * An async task: awaits a 5 ms timer, then answers. Declared `async` because poolifier runs a
 * task asynchronously only when it is an AsyncFunction.
 */
async function sleepInc(x) {
  await new Promise((resolve) => setTimeout(resolve, 5))
  return x + 1
}

/**
 * A payload task: gives its bytes back (a copy, or moved where the library's worker file wraps it
 * to move the result). The benchmark checks the answer's length and the header that names the task.
 */
function echoBytes(bytes) {
  return bytes
}

module.exports = { inc, countPrimes, incChunk, sleepInc, echoBytes }
