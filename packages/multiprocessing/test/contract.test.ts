import { defineRunnerContract } from '@conc/testkit'
import * as multiprocessing from '@conc/multiprocessing'

defineRunnerContract({
  kind: 'process',
  Runner: multiprocessing.Process,
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
  lib: multiprocessing,
  active: () => multiprocessing.activeChildren(),
})
