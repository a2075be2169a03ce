/** Remote managers: serving a manager on an address, and connecting to one (see the changeset). */
import type { Address } from '../base-manager.js'
import type { Core, LocalCore } from './runtime.js'

export interface Served {
  readonly address: Address
  close(): Promise<void>
}

const MISSING = 'remote managers are built on multiprocessing.connection, which this build does not have yet'

export async function listen(_core: LocalCore, _address: Address, _authkey: string | Uint8Array | null): Promise<Served> {
  throw new Error(MISSING)
}

export async function connect(_address: Address, _authkey: string | Uint8Array | null): Promise<Core> {
  throw new Error(MISSING)
}
