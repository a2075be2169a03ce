#!/usr/bin/env node
/**
 * Packs the published packages (@conc/core, @conc/threading, @conc/multiprocessing,
 * @conc/distributed) into npm tarballs, so that a project can install them from a clone of this
 * repository before they are on the registry: `npm install ../conc/tarballs/*.tgz` (see the
 * README, "Install").
 *
 * Run it through the root script, which builds first: `npx --yes pnpm@10.34.9 pack:tarballs`.
 * `--out DIR` writes the tarballs to DIR (default: `tarballs/` in the repository); tarballs of
 * these packages already there are removed first, so that a glob never picks two versions. Uses
 * `pnpm pack`, which turns `workspace:*` dependencies into versions. Prints each tarball's path.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
export const PUBLISHED = ['core', 'threading', 'multiprocessing', 'distributed']

function pnpmCommand() {
  const execPath = process.env.npm_execpath
  if (execPath && /pnpm/i.test(execPath) && existsSync(execPath)) {
    return /\.[cm]?js$/.test(execPath) ? [process.execPath, [execPath]] : [execPath, []]
  }
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager
  return [process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--yes', pinned]]
}

function main() {
  const at = process.argv.indexOf('--out')
  const given = at >= 0 ? process.argv[at + 1] : undefined
  if (at >= 0 && !given) throw new Error('--out needs a directory')
  const out = given === undefined ? join(root, 'tarballs') : isAbsolute(given) ? given : resolve(process.env.INIT_CWD ?? process.cwd(), given)
  mkdirSync(out, { recursive: true })
  for (const file of readdirSync(out)) {
    if (PUBLISHED.some((name) => file.startsWith(`conc-${name}-`) && file.endsWith('.tgz'))) rmSync(join(out, file))
  }
  const [command, prefix] = pnpmCommand()
  for (const name of PUBLISHED) {
    const dir = join(root, 'packages', name)
    if (!existsSync(join(dir, 'dist'))) throw new Error(`packages/${name} is not built: run \`npx --yes pnpm@10.34.9 build\` first`)
    const r = spawnSync(command, [...prefix, 'pack', '--pack-destination', out], {
      cwd: dir,
      encoding: 'utf8',
      shell: process.platform === 'win32' && /\.cmd$/i.test(command),
    })
    if (r.status !== 0) {
      process.stderr.write(r.stdout + r.stderr)
      throw new Error(`pnpm pack failed in packages/${name} (${r.error?.message ?? `exit code ${r.status}`})`)
    }
  }
  for (const file of readdirSync(out).filter((f) => f.startsWith('conc-') && f.endsWith('.tgz')).sort()) {
    console.log(join(out, file))
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main()
  } catch (error) {
    console.error(`pack-tarballs: ${error.message}`)
    process.exitCode = 1
  }
}
