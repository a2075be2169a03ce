// Raw worker peer that first loads the modules our worker entry loads (profile-startup.mjs uses
// it to attribute the module-loading part of our overhead), then does what raw/worker.mjs does.
import { workerData } from 'node:worker_threads'

const { preload, module, exportName, args } = workerData
await Promise.all(preload.map((url) => import(url)))
const ns = await import(module)
ns[exportName](...args)
