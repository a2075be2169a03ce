import { definePoolContract } from '@conc/testkit'
import * as multiprocessing from '@conc/multiprocessing'

definePoolContract({
  kind: 'process',
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
  Executor: multiprocessing.ProcessPoolExecutor,
  Pool: multiprocessing.Pool,
  Broken: multiprocessing.BrokenProcessPool,
  lib: multiprocessing,
})
