// poolifier's cluster pool sends its startup message as soon as the worker is online; an ESM
// worker may still be loading then and miss it, so this worker is CommonJS (loads synchronously).
const { ClusterWorker } = require('poolifier')

function inc(x) {
  return x + 1
}

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

function incChunk(chunk) {
  const out = new Array(chunk.length)
  for (let i = 0; i < chunk.length; i++) out[i] = chunk[i] + 1
  return out
}

module.exports = new ClusterWorker({ inc, countPrimes, incChunk })
