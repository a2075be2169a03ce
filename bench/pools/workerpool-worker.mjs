import workerpool from 'workerpool'
import { countPrimes, inc, incChunk } from './tasks.mjs'

workerpool.worker({ inc, countPrimes, incChunk })
