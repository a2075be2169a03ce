import { defineConnectionContract } from '@conc/testkit'
import * as lib from '@conc/threading'

defineConnectionContract({
  kind: 'thread',
  lib,
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
})
