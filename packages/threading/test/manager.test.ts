import { defineManagerContract } from '@conc/testkit'
import * as threading from '@conc/threading'

defineManagerContract({
  kind: 'thread',
  lib: threading,
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
})
