/** Tables (console, README, results/pools.md) from analysed groups (analyse.mjs). */
import { burstSensitivity } from './analyse.mjs'

export const fmtNumber = (x, digits = 0) =>
  x === undefined || Number.isNaN(x) ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

export function fmtValue(x, unit) {
  if (x === undefined) return 'n/a'
  if (unit === 'ms') return fmtNumber(x, x < 100 ? 1 : 0)
  if (unit === 'µs') return fmtNumber(x, 0)
  return fmtNumber(x, 0)
}

/** A ratio: 2 decimals, or 4 when 2 would round a loss up to 1.00 (or a win down to it). */
export const fmtX = (x) => (x === undefined ? 'n/a' : `${x >= 10 ? fmtNumber(x, 1) : fmtNumber(x, x !== 1 && fmtNumber(x, 2) === '1.00' ? 4 : 2)}×`)
export const fmtRatio = (s) => (s === undefined ? 'n/a' : `${fmtX(s.median)} (${fmtX(s.min)}–${fmtX(s.max)})`)
const fmtStat = (s, unit) => (s === undefined ? 'n/a' : `${fmtValue(s.median, unit)} (${fmtValue(s.min, unit)}–${fmtValue(s.max, unit)})`)

export const backendName = (b) => (b === 'thread' ? 'threads' : 'processes')

/** Rows of the summary: one per metric and backend. */
export function summaryRows(analysed) {
  const rows = []
  for (const group of analysed) {
    for (const m of group.metrics) rows.push({ workload: group.workload, backend: group.backend, rounds: group.rounds, ...m })
  }
  return rows
}

/** The summary table: @conc against the best peer of each row, with a plain verdict. */
export function summaryTable(analysed) {
  const lines = [
    '| workload | units | @conc, median | best peer: median | @conc ÷ best peer, paired (range) | rounds | verdict |',
    '| --- | --- | ---: | --- | ---: | ---: | --- |',
  ]
  for (const r of summaryRows(analysed)) {
    const unit = `${backendName(r.backend)}, ${r.unit}${r.better === 'lower' ? ' (lower is better)' : ''}`
    const ours = r.oursError !== undefined ? `failed: ${r.oursError}` : fmtValue(r.ours?.median, r.unit)
    const best = r.best === undefined ? 'n/a' : `${r.best.label}: ${fmtValue(r.best.stat.median, r.unit)}`
    const verdict = r.loses === undefined ? 'n/a' : !r.loses ? 'wins' : r.best.ratio.median >= 0.99 ? '**loses** (by < 1 %)' : '**loses**'
    lines.push(`| ${r.label} | ${unit} | ${ours} | ${best} | ${fmtRatio(r.best?.ratio)} | ${r.rounds} | ${verdict} |`)
  }
  return lines.join('\n')
}

/** One group in full: every contender, its configuration, every paired ratio. */
export function groupTable(group, raw, workload) {
  const out = [`### ${workload.title}: ${backendName(group.backend)}`, '']
  if (raw.date !== undefined) out.push(`Measured ${raw.date.slice(0, 16).replace('T', ' ')} UTC, ${raw.rounds} rounds in ${Math.round(raw.seconds ?? 0)} s; load average ${raw.load} at the end.`, '')
  const head = ['contender']
  const align = ['---']
  for (const m of group.metrics) {
    head.push(`${m.label.replace(/^\([a-z0-9]+\) /, '')}: median (range), ${m.unit}`, '@conc ÷ it, paired (range)')
    align.push('---:', '---:')
    if (m.contenders.some((c) => c.speedup !== undefined)) {
      head.push('speedup over inline, paired')
      align.push('---:')
    }
  }
  out.push(`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`)
  for (const [i, c] of group.metrics[0].contenders.entries()) {
    const cells = [c.role === 'ours' ? `**${c.label}**` : c.role === 'ref' ? `*${c.label}*` : c.label]
    if (c.error !== undefined) {
      cells.push(`failed: ${c.error.replace(/\|/g, '\\|')}`)
      out.push(`| ${cells.join(' | ')} |`)
      continue
    }
    for (const m of group.metrics) {
      const mc = m.contenders[i]
      cells.push(fmtStat(mc.stat, m.unit), mc.vsOurs === undefined ? '' : `${fmtRatio(mc.vsOurs)}${mc.vsOurs.median < 1 ? ' **loses**' : ''}`)
      if (m.contenders.some((x) => x.speedup !== undefined)) cells.push(mc.speedup === undefined ? '' : fmtRatio(mc.speedup))
    }
    out.push(`| ${cells.join(' | ')} |`)
  }
  out.push('')
  for (const m of group.metrics) {
    const ours = m.contenders.find((c) => c.role === 'ours')
    for (const f of ours?.overFloor ?? []) {
      out.push(`- ${m.label}: @conc − ${f.label} = ${fmtNumber(f.diff?.median, 0)} ${m.unit} (paired median; range ${fmtNumber(f.diff?.min, 0)} to ${fmtNumber(f.diff?.max, 0)}), @conc ÷ it ${fmtRatio(f.ratio)}`)
    }
  }
  if (group.workload === 'bursts') {
    const sens = burstSensitivity(raw)
    out.push(
      `- Rate of the one big burst ÷ rate in bursts of 10,000, paired per round (1 = independent of burst size): ${sens.map((s) => `${s.label} ${fmtRatio(s.ratio)}`).join('; ')}`,
    )
  }
  out.push('', 'Configurations:', '')
  for (const c of raw.contenders) out.push(`- ${c.label}: ${c.config === '' ? '(defaults)' : `\`${c.config}\``}`)
  out.push('')
  return out.join('\n')
}
