import { defineRunnerContract } from '@conc/testkit'
import * as threading from '@conc/threading'

defineRunnerContract({
  kind: 'thread',
  Runner: threading.Thread,
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
  lib: threading,
  active: () => threading.enumerate().slice(1),
})
