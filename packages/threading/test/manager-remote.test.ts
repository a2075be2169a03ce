import { defineManagerRemoteContract } from '@conc/testkit'
import * as threading from '@conc/threading'

defineManagerRemoteContract({
  kind: 'thread',
  lib: threading,
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
})
