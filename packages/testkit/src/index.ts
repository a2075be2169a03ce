/** The contract suite and test helpers shared by every @conc backend. Private, never published. */
export { defineRunnerContract } from './runner-contract.ts'
export type { BackendUnderTest, RunnerCtor, RunnerUnderTest } from './runner-contract.ts'
export { fixture, fixtureUrl, loadTargets, pidAlive, readJson, runNode, tempDir, waitFor } from './harness.ts'
export type { RunResult } from './harness.ts'
export { defineSyncContract } from './sync-contract.ts'
export type { SyncBackendUnderTest } from './sync-contract.ts'
export { definePoolContract } from './pool-contract.ts'
export type { PoolBackendUnderTest } from './pool-contract.ts'
