// poolifier's cluster worker. CommonJS: poolifier's cluster pool sends its startup message as
// soon as the worker is online, and an ESM worker may still be loading then and miss it.
const { ClusterWorker } = require('poolifier')
const { countPrimes, echoBytes, inc, incChunk, sleepInc } = require('./tasks.cjs')

module.exports = new ClusterWorker({ inc, countPrimes, incChunk, sleepInc, echoBytes })
