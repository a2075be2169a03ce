/** The contract suite and test helpers shared by every @conc backend. Private, never published. */
export { defineRunnerContract } from './runner-contract.ts'
export type { BackendUnderTest, RunnerCtor, RunnerUnderTest } from './runner-contract.ts'
export { fixture, fixtureUrl, loadTargets, pidAlive, readJson, runNode, tempDir, waitFor } from './harness.ts'
export type { RunResult } from './harness.ts'
