import { defineSyncContract } from '@conc/testkit'
import * as threading from '@conc/threading'

defineSyncContract({
  kind: 'thread',
  lib: threading,
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
})
