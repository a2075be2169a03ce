/**
 * How the comparison is shown: a table with a bar per row (the speedup over inline, drawn to
 * scale in the terminal), and a note when threads or processes came out slower than inline.
 */

/** One measured mode of the comparison. */
export interface Row {
  readonly mode: string
  readonly units: number
  readonly ms: number
}

/** What the note needs to know about the machine the rows were measured on. */
export interface Machine {
  /** CPUs Node may use (`os.availableParallelism()`), which is also the number of slices. */
  readonly cpus: number
  /** `os.loadavg()[0]`: runnable processes, averaged over the last minute. */
  readonly load: number
}

const BAR_WIDTH = 30
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']

/** A bar of `value` on a scale where `max` fills {@link BAR_WIDTH} cells, to an eighth of a cell. */
export function bar(value: number, max: number): string {
  const eighths = Math.max(0, Math.round((value / max) * BAR_WIDTH * 8))
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]
}

/**
 * The table: one row per mode, its wall time, its speedup over the first row (inline), and the
 * speedup as a bar. The scale goes up to the number of CPUs, the best a slice per CPU can do.
 */
export function table(rows: readonly Row[], cpus: number): string {
  const base = rows[0]?.ms ?? 1
  const speedups = rows.map(({ ms }) => base / ms)
  const max = Math.max(cpus, ...speedups)
  const lines = [['mode', 'units', 'wall time', 'speedup', `speedup, to scale (full width: ${formatSpeedup(max)})`]]
  rows.forEach(({ mode, units, ms }, i) => {
    lines.push([mode, String(units), `${(ms / 1000).toFixed(2)} s`, formatSpeedup(speedups[i]!), bar(speedups[i]!, max)])
  })
  const widths = lines[0]!.map((_, col) => Math.max(...lines.map((line) => line[col]!.length)))
  return lines.map((line) => line.map((cell, col) => cell.padEnd(widths[col]!)).join('   ').trimEnd()).join('\n')
}

function formatSpeedup(speedup: number): string {
  return `${speedup.toFixed(2)}x`
}

/** `text` broken into lines of at most `width` characters, at spaces. */
export function wrap(text: string, width = 100): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') lines.push(line)
  return lines
}

/**
 * What to say under the table. Units can run the slices at the same time only on free CPUs; when
 * a parallel mode was slower than inline, say why instead of leaving the reader to wonder.
 */
export function notes(rows: readonly Row[], machine: Machine): string[] {
  const base = rows[0]?.ms ?? 1
  const slower = rows.slice(1).filter(({ ms }) => ms > base)
  const out = wrap(
    `Threads and processes can run the ${machine.cpus} slices at the same time, one per CPU; inline runs them ` +
      "one after another. (CPython's GIL keeps its threads from doing this for pure-Python code; Node's worker " +
      'threads each have their own isolate, so they can.) Wall times vary with what else the machine runs.',
  )
  if (slower.length > 0) {
    const which = slower.map(({ mode }) => mode.split(' ')[0]).join(' and ')
    const cpus = `${machine.cpus} CPU${machine.cpus === 1 ? '' : 's'}`
    out.push(
      '',
      ...wrap(
        `Here ${which} came out slower than inline (speedup below 1x). The slices run at the same time only ` +
          `on free CPUs: the load average was ${machine.load.toFixed(2)} for ${cpus}, so the units waited for ` +
          'the same cores as everything else, and each unit also paid its start-up (a new V8 isolate for a ' +
          'thread, a new Node process for a process). On a quiet machine, or with more work per slice ' +
          '(--limit), the units come close to one slice per CPU each.',
      ),
    )
  }
  return out
}
