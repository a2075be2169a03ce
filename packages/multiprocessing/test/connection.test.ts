import { defineConnectionContract } from '@conc/testkit'
import * as lib from '@conc/multiprocessing'

defineConnectionContract({
  kind: 'process',
  lib,
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
})
