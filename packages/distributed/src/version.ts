/**
 * The version stamp of a module: a hash of its file's bytes. The client stamps each task with
 * the version of the module it imported; a worker host runs the task only if its own copy has
 * the same stamp, so two hosts never run different code under one name.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'

const cache = new Map<string, Promise<string>>()

/** The version of the module file at `path` (absolute), computed once per process. */
export function moduleVersion(path: string): Promise<string> {
  let version = cache.get(path)
  if (version === undefined) {
    version = readFile(path).then((bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16))
    cache.set(path, version)
    version.catch(() => cache.delete(path))
  }
  return version
}
