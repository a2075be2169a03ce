/**
 * The pools benchmark as an SVG: one bar per row of the summary (workload × backend), the paired
 * ratio of @conc to the best peer on a log scale (> 1: @conc faster), with its range across rounds.
 * Losing rows are drawn in red, the same size as the wins.
 */
import { backendName, fmtX, summaryRows } from './report.mjs'

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;')

export function chart(analysed, { machine, workers, date }) {
  const rows = summaryRows(analysed).filter((r) => r.best?.ratio !== undefined)
  const barH = 16
  const gap = 6
  const labelW = 470
  const plotW = 420
  const top = 64
  const lo = 1 / 64
  const hi = 64
  const x = (v) => labelW + ((Math.log2(Math.min(hi, Math.max(lo, v))) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * plotW
  const height = top + rows.length * (barH + gap) + 40
  const width = labelW + plotW + 240
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="10" y="20" font-size="14" font-weight="bold">@conc ÷ the best peer pool, paired per round (log scale; &gt; 1×: @conc faster)</text>`,
    `<text x="10" y="38" fill="#444">${esc(machine)}; ${workers} workers each; ${esc(date)}. Bar: median of the per-round ratios; whisker: their range. Red: @conc loses.</text>`,
  ]
  for (const t of [1 / 64, 1 / 16, 1 / 4, 1, 4, 16, 64]) {
    const tx = x(t)
    out.push(`<line x1="${tx.toFixed(1)}" y1="${top - 8}" x2="${tx.toFixed(1)}" y2="${height - 30}" stroke="${t === 1 ? '#000' : '#ddd'}"/>`)
    out.push(`<text x="${tx.toFixed(1)}" y="${height - 16}" text-anchor="middle" fill="#444">${t < 1 ? `1/${1 / t}` : t}×</text>`)
  }
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap)
    const ratio = r.best.ratio
    const from = x(1)
    const to = x(ratio.median)
    const color = ratio.median < 1 ? '#c53030' : '#2b6cb0'
    out.push(`<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${esc(`${r.label.replace(/\s*\(\d+ bursts, each awaited\)/, '')} — ${backendName(r.backend)}`)}</text>`)
    out.push(`<rect x="${Math.min(from, to).toFixed(1)}" y="${y}" width="${Math.abs(to - from).toFixed(1)}" height="${barH}" fill="${color}"/>`)
    out.push(`<line x1="${x(ratio.min).toFixed(1)}" y1="${y + barH / 2}" x2="${x(ratio.max).toFixed(1)}" y2="${y + barH / 2}" stroke="#222"/>`)
    const label = `${fmtX(ratio.median)} vs ${r.best.label}`
    out.push(`<text x="${(Math.max(from, to, x(ratio.max)) + 4).toFixed(1)}" y="${y + 12}" fill="${color}">${esc(label)}</text>`)
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
