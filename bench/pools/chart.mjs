/** The pools benchmark as an SVG bar chart: one panel per workload, one bar per pool. */
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;')

export function chart(rows, { machine, workers }) {
  const panels = [
    ['(1) trivial tasks per second', 'trivial', (v) => Math.round(v).toLocaleString('en-US')],
    [`(2) CPU-bound speedup over inline (${workers} workers)`, 'cpu', (v) => `${v.toFixed(2)}×`],
    ['(3) map items per second (chunksize 10 000)', 'map', (v) => Math.round(v).toLocaleString('en-US')],
  ]
  const ok = rows.filter((r) => r.error === undefined)
  const barH = 18
  const gap = 4
  const labelW = 290
  const barW = 420
  const panelH = ok.length * (barH + gap) + 40
  const width = labelW + barW + 120
  const height = panels.length * panelH + 40
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">@conc executors vs Node pools — ${esc(machine)}</text>`,
  ]
  panels.forEach(([title, key, show], p) => {
    const top = 40 + p * panelH
    const max = Math.max(...ok.map((r) => r[key] ?? 0))
    out.push(`<text x="10" y="${top + 14}" font-weight="bold">${esc(title)}</text>`)
    ok.forEach((r, i) => {
      const y = top + 24 + i * (barH + gap)
      const w = max > 0 ? ((r[key] ?? 0) / max) * barW : 0
      const color = r.label.startsWith('@conc') ? '#2b6cb0' : r.kind === 'thread' ? '#a0aec0' : '#cbd5e0'
      out.push(`<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(r.label)}</text>`)
      out.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`)
      out.push(`<text x="${labelW + w + 4}" y="${y + 13}">${esc(show(r[key] ?? 0))}</text>`)
    })
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
