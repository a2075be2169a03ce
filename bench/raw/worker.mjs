// Raw worker_threads peer of `Thread`: import the target's module, call the target, exit.
import { workerData } from 'node:worker_threads'

const { module, exportName, args } = workerData
const ns = await import(module)
ns[exportName](...args)
