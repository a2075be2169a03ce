/**
 * Summarizes .cpuprofile files (node --cpu-prof): self time per function, top N, and the share of
 * idle, GC and program time.
 *
 *   node bench/pools/diag/profile-summary.mjs <file.cpuprofile>... [--top 25]
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

const args = process.argv.slice(2)
const topAt = args.indexOf('--top')
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25
const files = args.filter((a, i) => a !== '--top' && i !== topAt + 1)
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i])
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    total += dt
    const f = node.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${basename(f.url)}:${f.lineNumber + 1}` : ''}`.trim()
    self.set(key, (self.get(key) ?? 0) + dt)
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1])
  const busy = total - (self.get('(idle)') ?? 0)
  console.log(`\n${basename(file)}: ${total.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms not idle`)
  for (const [key, ms] of rows.slice(0, top)) console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${key}`)
}
