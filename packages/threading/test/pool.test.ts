import { definePoolContract } from '@conc/testkit'
import * as threading from '@conc/threading'

definePoolContract({
  kind: 'thread',
  backendUrl: new URL('../dist/index.js', import.meta.url).href,
  Executor: threading.ThreadPoolExecutor,
  Pool: threading.ThreadPool,
  Broken: threading.BrokenThreadPool,
  lib: threading,
})
