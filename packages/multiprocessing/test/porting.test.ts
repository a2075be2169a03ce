import { definePortingContract } from '@conc/testkit'
import * as lib from '@conc/multiprocessing'

definePortingContract({ kind: 'process', lib, backendUrl: new URL('../dist/index.js', import.meta.url).href })
