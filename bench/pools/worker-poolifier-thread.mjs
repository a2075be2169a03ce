// poolifier's thread worker. poolifier's ThreadWorker posts results without a transfer list, so
// results are always copied (`echoBytesMove` is `echoBytes`).
import { ThreadWorker } from 'poolifier'
import { countPrimes, echoBytes, inc, incChunk, sleepInc } from './tasks.mjs'

export default new ThreadWorker({ inc, countPrimes, incChunk, sleepInc, echoBytes, echoBytesMove: echoBytes })
