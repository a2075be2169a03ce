/**
 * What every unit loads: the entry files import only `@conc/core/unit`, and that runtime must stay
 * small (each unit pays for it at start-up). The locator and `node:inspector` are loaded only when
 * an error of a user class must be described, never at start-up. Checked on the build output.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))

/** The files `entry` loads statically (dynamic `import()`s excluded), itself included. */
function staticGraph(entry: string): Map<string, string> {
  const files = new Map<string, string>()
  const visit = (file: string): void => {
    if (files.has(file) || !existsSync(file)) return
    const text = readFileSync(file, 'utf8')
    files.set(file, text)
    for (const m of text.matchAll(/^(?:import|export)[^;]*?from\s*["'](\.[^"']+)["']|^import\s*["'](\.[^"']+)["']/gm)) {
      visit(resolve(dirname(file), (m[1] ?? m[2]) as string))
    }
  }
  visit(join(dist, entry))
  return files
}

describe('the unit runtime', () => {
  it('loads neither the locator nor node:inspector at start-up, and stays small', () => {
    const graph = staticGraph('unit.js')
    // One file: @conc/core/unit is the unit runtime's chunk itself (scripts/merge-chunks.mjs).
    expect([...graph.keys()]).toEqual([join(dist, 'unit.js')])
    for (const [file, text] of graph) {
      expect(text, file).not.toMatch(/["']node:inspector["']/)
      expect(text, file).not.toMatch(/Runtime\.getProperties|\[\[FunctionLocation\]\]/)
    }
    const bytes = [...graph.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0)
    expect(bytes).toBeLessThan(40 * 1024)
  })
})
