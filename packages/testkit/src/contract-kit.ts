/**
 * What the contract suites that take a backend as its whole package module share: the loose types
 * they check it through, and small helpers.
 */

export type Fn = (...args: never[]) => unknown
// Loosely typed on purpose: the suites check runtime behaviour, including misuse.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Lib = Record<string, any>

/** A backend under test, given as its package module. */
export interface LibBackendUnderTest {
  readonly kind: 'thread' | 'process'
  /** The backend package's module (`@conc/threading` / `@conc/multiprocessing`). */
  readonly lib: Lib
  /** File URL of the backend package's entry, which fixture units and programs import. */
  readonly backendUrl: string
}

/** What the suites use of a `Thread` / `Process`. */
export interface Unit {
  start(): void
  join(timeout?: number): Promise<void>
  isAlive(): boolean
  kill(): void
  readonly exitCode: number | null
}

export const sleep = (seconds: number): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, seconds * 1000))
