/**
 * Reads an npm tarball (`.tgz`) in memory: its files and their contents, without a `tar` binary.
 * Enough of the ustar format for what npm and pnpm write: regular files, long names through
 * pax headers (`path=`) or the ustar prefix field.
 */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

/** The files in `tgz`, as a Map from path (without npm's leading `package/`) to a Buffer. */
export function readTarball(tgz) {
  const data = gunzipSync(readFileSync(tgz))
  const files = new Map()
  let offset = 0
  let paxPath
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (start, length) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '')
    const size = Number.parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1) || '0'
    const prefix = field(345, 155)
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)
    const body = data.subarray(offset + 512, offset + 512 + size)
    offset += 512 + Math.ceil(size / 512) * 512
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1]
      continue
    }
    if (type === '0' || type === '\0') files.set((paxPath ?? name).replace(/^package\//, ''), Buffer.from(body))
    paxPath = undefined
  }
  return files
}

/**
 * Problems with the source maps in a tarball: a `sourceMappingURL` that names a file the tarball
 * does not have, or a map whose `sources` point outside the tarball. Empty when all resolve.
 */
export function sourceMapProblems(files) {
  const problems = []
  const resolve = (from, relative) => {
    const parts = from.split('/').slice(0, -1)
    for (const part of relative.split('/')) {
      if (part === '..') parts.pop()
      else if (part !== '.' && part !== '') parts.push(part)
    }
    return parts.join('/')
  }
  for (const [path, content] of files) {
    if (/\.(c|m)?js$/.test(path)) {
      const match = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(content.toString('utf8'))
      if (match && !match[1].startsWith('data:') && !files.has(resolve(path, match[1]))) {
        problems.push(`${path}: sourceMappingURL=${match[1]}, which the tarball does not have`)
      }
    }
    if (path.endsWith('.map')) {
      let map
      try {
        map = JSON.parse(content.toString('utf8'))
      } catch {
        problems.push(`${path}: not JSON`)
        continue
      }
      for (const source of map.sources ?? []) {
        const target = resolve(path, `${map.sourceRoot ?? ''}${source}`)
        if (!files.has(target)) problems.push(`${path}: source ${source} (${target}) is not in the tarball`)
      }
    }
  }
  return problems
}
