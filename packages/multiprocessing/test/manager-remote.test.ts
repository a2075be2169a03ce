import { defineManagerRemoteContract } from '@conc/testkit'
import * as multiprocessing from '@conc/multiprocessing'

defineManagerRemoteContract({
  kind: 'process',
  lib: multiprocessing,
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
})
