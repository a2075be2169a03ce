/**
 * How an error crosses between a proxy and its server: core's error transport, so that an error
 * the referent throws is re-raised in the caller with its class (@conc's by name, the program's by
 * reference to the module that exports it).
 */
import { loadErrorClasses, deserializeThrown } from '../../internal/error-rebuild.js'
import { type SerializedThrown, readyToSerialize, serializeThrown } from '../../internal/error-transport.js'

/** Describes `error`, finding first where its class is exported when it is the program's own. */
export async function packError(error: unknown): Promise<SerializedThrown> {
  await readyToSerialize(error)
  return serializeThrown(error)
}

/** Rebuilds an error described by {@link packError}, importing its class's module if need be. */
export async function unpackError(serialized: SerializedThrown): Promise<unknown> {
  await loadErrorClasses(serialized)
  return deserializeThrown(serialized)
}
