/**
 * Paired statistics of a measured group (orchestrate.mjs): per metric, each contender's median and
 * range, and @conc's paired ratio against each peer: per round, ours ÷ theirs as a speed (so
 * > 1 means @conc is faster; for times and latencies, theirs ÷ ours), then the median and the
 * range of those ratios.
 */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const spread = (values) => (values.length === 0 ? undefined : { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length })

/** Per-round ratios as speeds: > 1 when `a` is better than `b`. */
function pairedRatios(a, b, better) {
  const n = Math.min(a.length, b.length)
  const out = []
  for (let r = 0; r < n; r++) out.push(better === 'higher' ? a[r] / b[r] : b[r] / a[r])
  return out
}

export function analyse(group, workload) {
  const usable = (e) => e.error === undefined
  const ours = group.contenders.find((e) => e.role === 'ours')
  const peers = group.contenders.filter((e) => e.role === 'peer' && usable(e))
  const inline = group.contenders.find((e) => e.id === 'inline' && usable(e))
  const floors = group.contenders.filter((e) => e.id.startsWith('raw-') && usable(e))
  const metrics = workload.metrics.map((metric) => {
    const key = metric.key
    const values = (e) => e.samples[key] ?? []
    const contenders = group.contenders.map((e) => {
      const stat = usable(e) ? spread(values(e)) : undefined
      const out = { id: e.id, role: e.role, label: e.label, error: e.error, stat }
      if (ours !== undefined && usable(ours) && e.role === 'peer' && usable(e)) out.vsOurs = spread(pairedRatios(values(ours), values(e), metric.better))
      if (metric.speedup && inline !== undefined && e.id !== 'inline' && usable(e)) out.speedup = spread(pairedRatios(values(e), values(inline), 'lower'))
      if (e.role === 'ours' && usable(e)) {
        out.overFloor = floors.map((f) => ({ id: f.id, label: f.label, diff: spread(values(e).map((v, r) => v - values(f)[r])), ratio: spread(values(e).map((v, r) => v / values(f)[r])) }))
      }
      return out
    })
    const pick = metric.better === 'higher' ? (a, b) => a > b : (a, b) => a < b
    let best
    for (const c of contenders) if (c.role === 'peer' && c.stat !== undefined && (best === undefined || pick(c.stat.median, best.stat.median))) best = c
    const mine = contenders.find((c) => c.role === 'ours')
    return {
      key,
      label: metric.label,
      better: metric.better,
      unit: metric.unit,
      contenders,
      ours: mine?.stat,
      oursError: mine?.error,
      best: best === undefined ? undefined : { id: best.id, label: best.label, stat: best.stat, ratio: best.vsOurs },
      loses: best?.vsOurs !== undefined ? best.vsOurs.median < 1 : undefined,
    }
  })
  return { workload: group.workload, backend: group.backend, rounds: group.rounds, metrics }
}

/**
 * How a contender's rate depends on the burst size, paired per round: the rate of the big
 * burst ÷ the rate in bursts of 10,000 (1 = independent of burst size).
 */
export function burstSensitivity(group) {
  return group.contenders
    .filter((e) => e.error === undefined && e.samples.once !== undefined && e.samples.by10k !== undefined)
    .map((e) => ({ id: e.id, role: e.role, label: e.label, ratio: spread(e.samples.once.map((v, r) => v / e.samples.by10k[r])) }))
}
