/**
 * The documentation's examples as programs: every fenced `ts`/`js` block of a markdown file is a
 * program that the packaging test runs against the installed tarballs (TypeScript with tsx,
 * JavaScript with node), unless an HTML comment on the line before it says otherwise:
 *
 *   <!-- fragment: why -->      not a program (a piece of one); the reason is required
 *   <!-- run-as: name.cjs -->   a program, written under that file name (CommonJS, .mts, ...)
 *   <!-- module: name.ts -->    a module that a later block of the same file imports; not run
 *   <!-- output -->             (before a `text` block) the exact output of the program before
 *                               it; `<!-- output: 2 -->` of each of the 2 programs before it
 *
 * A `// text` comment at the end of a line that calls `console.log(...)` says what that call
 * prints; the program's output must show it. The comment is the printed line,
 * as Node prints it (`[ 1, 4, 9 ]`; the spaces inside brackets may be left out), possibly followed
 * by a note (`4 3: negative indices count from the end`), or preceded by what it stands for
 * (`arr[1:3] → [ 20, 3 ]`); a loop's lines may be listed (`11, 22`, `1, 4, then 16`: those
 * lines in that order, others may come between).
 */

const RUNNABLE = new Map([
  ['ts', '.ts'],
  ['typescript', '.ts'],
  ['mts', '.mts'],
  ['cts', '.cts'],
  ['js', '.mjs'],
  ['javascript', '.mjs'],
  ['mjs', '.mjs'],
  ['cjs', '.cjs'],
])

const MARKER = /^<!--\s*([a-z-]+)\s*(?::\s*([\s\S]*?))?\s*-->$/
const KNOWN = new Set(['fragment', 'run-as', 'module', 'output'])

/** The fenced blocks of `markdown`, each with the marker comment on the line before it, if any. */
function fencedBlocks(markdown) {
  const lines = markdown.replace(/\r\n/g, '\n').split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)[^`]*$/.exec(lines[i])
    if (!open) continue
    const [, indent, fence, lang] = open
    const body = []
    let j = i + 1
    for (; j < lines.length; j++) {
      if (new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[j])) break
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart())
    }
    let k = i - 1
    while (k >= 0 && lines[k].trim() === '') k--
    const previous = k >= 0 ? lines[k].trim() : ''
    blocks.push({ line: i + 1, lang: lang.toLowerCase(), code: `${body.join('\n')}\n`, comment: previous.startsWith('<!--') ? { text: previous, line: k + 1 } : undefined })
    i = j
  }
  return blocks
}

/** The lines a program's `console.log(...) // text` comments say it prints, in order. */
export function expectedFromComments(code) {
  const expected = []
  for (const line of code.split('\n')) {
    const match = /console\.log\(.*\)\s*\/\/ ?(.*?)\s*$/.exec(line)
    if (match) expected.push(match[1])
  }
  return expected
}

function slug(source) {
  return source.replace(/\.md$/i, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()
}

/**
 * What the packaging test does with one markdown file: `programs` to run (with the file name to
 * write each one under, its expected lines and, when an `output` block follows, its exact
 * output), `modules` to write beside them, and `problems`: markers that are not deliberate (an
 * unknown marker, a fragment without a reason, a module nothing imports, an output block with no
 * program before it).
 */
export function planExamples(markdown, source) {
  const dir = slug(source)
  const programs = []
  const modules = []
  const problems = []
  let fragments = 0
  const where = (line) => `${source}:${line}`
  for (const block of fencedBlocks(markdown)) {
    const marker = block.comment && MARKER.exec(block.comment.text)
    const kind = marker?.[1]
    const arg = marker?.[2]?.trim() ?? ''
    if (marker && !KNOWN.has(kind)) {
      if (RUNNABLE.has(block.lang)) problems.push(`${where(block.comment.line)}: unknown marker <!-- ${kind} -->; use fragment, run-as, module or output`)
      continue
    }
    if (kind === 'output') {
      const count = arg === '' ? 1 : /^\d+$/.test(arg) ? Number(arg) : Number.NaN
      const before = programs.slice(-count)
      if (block.lang !== 'text') problems.push(`${where(block.comment.line)}: <!-- output --> must come before a text block, not ${block.lang || 'an unlabelled block'}`)
      else if (!(count >= 1) || before.length < count) problems.push(`${where(block.comment.line)}: <!-- output${arg ? `: ${arg}` : ''} --> needs that many programs before it`)
      else if (before.some((program) => program.output !== undefined)) problems.push(`${where(block.comment.line)}: a program before it already has an output block`)
      else for (const program of before) program.output = block.code.replace(/\n$/, '').split('\n')
      continue
    }
    const ext = RUNNABLE.get(block.lang)
    if (ext === undefined) {
      if (kind !== undefined) problems.push(`${where(block.comment.line)}: <!-- ${kind} --> before a ${block.lang || 'plain'} block, which is never run`)
      continue
    }
    if (kind === 'fragment') {
      if (arg.length < 3) problems.push(`${where(block.comment.line)}: <!-- fragment --> needs a reason: <!-- fragment: what it needs or why it is not a program -->`)
      fragments++
      continue
    }
    if ((kind === 'run-as' || kind === 'module') && !/^[\w.-]+\.(c|m)?(j|t)s$/.test(arg)) {
      problems.push(`${where(block.comment.line)}: <!-- ${kind}: ${arg} --> needs a file name such as work.ts or app.cjs`)
      continue
    }
    if (kind === 'module') {
      modules.push({ file: arg, code: block.code, line: block.line, location: where(block.line) })
      continue
    }
    const file = kind === 'run-as' ? arg : `example-${block.line}${ext}`
    const program = {
      location: where(block.line),
      lang: block.lang,
      file,
      code: block.code,
      runner: /\.(c|m)?ts$/.test(file) ? 'tsx' : 'node',
      expected: expectedFromComments(block.code),
      output: undefined,
    }
    programs.push(program)
  }
  for (const module of modules) {
    const stem = module.file.replace(/\.(c|m)?(j|t)s$/, '')
    const imported = programs.some((program) => new RegExp(`['"]\\./${stem}(\\.(c|m)?(j|t)s)?['"]`).test(program.code))
    if (!imported) problems.push(`${module.location}: <!-- module: ${module.file} --> is imported by no program of ${source}`)
  }
  return { dir, programs, modules, problems, fragments }
}

/**
 * Checks a program's output against its example: the exact output when an `output` block gives
 * it, else the commented lines in order. Returns what differs, or undefined.
 */
export function outputProblem(program, stdout) {
  const lines = stdout.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n').map((line) => line.trimEnd())
  if (program.output !== undefined) {
    const expected = program.output.map((line) => line.trimEnd())
    if (lines.length === expected.length && lines.every((line, i) => line === expected[i])) return undefined
    return `its output differs from the output block after it:\n${sideBySide(expected, lines)}`
  }
  const missing = program.expected.filter((comment) => !shows(comment, lines))
  if (missing.length === 0) return undefined
  return (
    `its output does not show what ${missing.map((comment) => `// ${comment}`).join(' and ')} says it prints ` +
    `(a comment after console.log(...) is the line it prints). Output:\n${lines.map((line) => `    ${line}`).join('\n')}`
  )
}

/** Node prints `[ 1, 4, 9 ]` and `{ a: 1 }`; docs may write `[1, 4, 9]`. */
function normalize(text) {
  return text.replace(/\s+/g, ' ').replace(/([[{(]) /g, '$1').replace(/ ([\]})])/g, '$1').trim()
}

/** Whether the output `lines` show what `comment` says one console.log(...) prints. */
function shows(comment, lines) {
  const said = normalize(comment)
  const printed = lines.map(normalize).filter((line) => line !== '')
  const one = printed.some(
    (line) =>
      line === said ||
      (said.startsWith(line) && /^(:|;| \(| -| —)/.test(said.slice(line.length))) ||
      (said.endsWith(line) && /(→|=>|->)$/.test(said.slice(0, -line.length).trimEnd())),
  )
  if (one) return true
  const listed = said.split(/,? then |, and |, /).map((part) => part.trim())
  if (listed.length < 2) return false
  let at = 0
  for (const line of printed) if (at < listed.length && line === listed[at]) at++
  return at === listed.length
}

function sideBySide(expected, actual) {
  const width = Math.max(10, ...expected.map((line) => line.length))
  const rows = [`  ${'expected'.padEnd(width)} | actual`]
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const mark = expected[i] === actual[i] ? ' ' : '✗'
    rows.push(`${mark} ${String(expected[i] ?? '(none)').padEnd(width)} | ${actual[i] ?? '(none)'}`)
  }
  return rows.join('\n')
}
