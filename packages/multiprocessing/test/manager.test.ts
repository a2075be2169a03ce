import { defineManagerContract } from '@conc/testkit'
import * as multiprocessing from '@conc/multiprocessing'

defineManagerContract({
  kind: 'process',
  lib: multiprocessing,
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
})
