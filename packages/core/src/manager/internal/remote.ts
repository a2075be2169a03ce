/** Remote managers: serving a manager on an address, and connecting to one. */
import type { Address } from '../base-manager.js'
import type { Core } from './runtime.js'

export async function listen(_core: Core, _address: Address, _authkey: string | Uint8Array | null): Promise<Address> {
  throw new Error('not yet')
}

export async function connect(_address: Address, _authkey: string | Uint8Array | null): Promise<Core> {
  throw new Error('not yet')
}
