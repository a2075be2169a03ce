/**
 * Vitest global setup: marks every process of this test run (through an environment variable that
 * workers, children and fixture programs inherit) and, at teardown, fails the run if any marked
 * process is still alive. A test run leaves no stray processes.
 */
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'

const MARK = 'CONC_TEST_RUN'

function marked(mark: string): { pid: number; cmd: string }[] {
  if (process.platform !== 'linux') return []
  const found: { pid: number; cmd: string }[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8')
      if (!environ.split('\0').includes(`${MARK}=${mark}`)) continue
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (/^\d+ \(.*\) Z/.test(stat)) continue
      found.push({ pid, cmd: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim() })
    } catch {
      // gone, or not ours to read
    }
  }
  return found
}

export function setup(): () => Promise<void> {
  const mark = randomUUID()
  process.env[MARK] = mark
  return async () => {
    // Vitest's own workers carry the mark too; give them a moment to exit.
    const deadline = Date.now() + 5000
    let strays = marked(mark)
    while (strays.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      strays = marked(mark)
    }
    if (strays.length > 0) {
      for (const { pid } of strays) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      throw new Error(`the test run left ${strays.length} process(es) running:\n${strays.map((s) => `  ${s.pid} ${s.cmd}`).join('\n')}`)
    }
  }
}
