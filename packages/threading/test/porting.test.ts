import { definePortingContract } from '@conc/testkit'
import * as lib from '@conc/threading'

definePortingContract({ kind: 'thread', lib, backendUrl: new URL('../dist/index.js', import.meta.url).href })
