// The floor for the latency workload on threads: a bare worker that answers x + 1.
import { parentPort } from 'node:worker_threads'

parentPort.on('message', (x) => parentPort.postMessage(x + 1))
