// workerpool's worker script (threads and processes): the shared tasks, plus a payload task that
// moves its result back (workerpool.Transfer; threads only).
import workerpool from 'workerpool'
import { countPrimes, echoBytes, inc, incChunk, sleepInc } from './tasks.mjs'

function echoBytesMove(bytes) {
  const out = echoBytes(bytes)
  return new workerpool.Transfer(out, [out.buffer])
}

workerpool.worker({ inc, countPrimes, incChunk, sleepInc, echoBytes, echoBytesMove })
