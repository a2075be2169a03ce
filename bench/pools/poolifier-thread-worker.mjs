import { ThreadWorker } from 'poolifier'
import { countPrimes, inc, incChunk } from './tasks.mjs'

export default new ThreadWorker({ inc, countPrimes, incChunk })
