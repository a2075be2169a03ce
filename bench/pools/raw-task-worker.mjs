// Bare worker threads, no pool: runs the named task on each message (the CPU workloads' ceiling).
import { parentPort } from 'node:worker_threads'
import * as tasks from './tasks.mjs'

parentPort.on('message', ([name, arg]) => parentPort.postMessage(tasks[name](arg)))
