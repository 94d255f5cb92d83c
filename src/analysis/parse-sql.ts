import type { Node } from 'libpg-query'
import { InvalidInputError } from '../errors/index.js'
import { countNewlines } from '../graph/split-statements.js'

/** One statement of analysed SQL, as the PostgreSQL parser read it. */
export interface ParsedStatement {
  readonly node: Node
  /** The statement text without leading comments. */
  readonly sql: string
  /** 1-based line in its file; undefined for SQL rendered from TypeScript. */
  readonly line: number | undefined
  /** `-- strata:allow <rule>: <reason>` comments written just before the statement. */
  readonly allow: readonly AllowComment[]
  /** Issued by the op API to step out of the migration's transaction (`op.autocommit`). */
  readonly managed?: boolean
  /** Rendered by `op.createIndex` concurrently, which handles partitioned tables online. */
  readonly partitionAware?: boolean
  /** What the op API says of it beyond its SQL (a re-run guard a first run skips). */
  readonly note?: string
  /** A recipe's step: the recipe finds on a re-run what an interrupted run left, so it need not run twice. */
  readonly rerunGuarded?: boolean
}

export interface AllowComment {
  readonly rule: string
  /** Empty when the comment gives none (reported: a reason is required). */
  readonly reason: string
  readonly line: number | undefined
}

let ready: Promise<void> | undefined
let parser: typeof import('libpg-query') | undefined

/**
 * Loads the parser (WebAssembly) once; every analysis awaits this first. Requiring the
 * package starts reading and compiling its 1 MB of WebAssembly, so it is required here,
 * not when this module loads: an upgrade that only probes its steps' SQL for DROP
 * (and finds none) never pays for it.
 */
export function loadParser(): Promise<void> {
  ready ??= import('libpg-query').then(async (library) => {
    await library.loadModule()
    parser = library
  })
  return ready
}

const ALLOW = /strata:allow\s+([A-Za-z0-9_-]+)\s*(?::\s*(.*?))?\s*(?:\*\/)?\s*$/

/** Reads `strata:allow` comments from comment lines of `text`. */
export function allowComments(text: string, firstLine: number | undefined): AllowComment[] {
  const found: AllowComment[] = []
  text.split('\n').forEach((lineText, offset) => {
    const comment = lineText.match(/(?:--|\/\*)(.*)$/)?.[1]
    const match = comment?.match(ALLOW)
    if (match) {
      found.push({
        rule: match[1]!,
        reason: (match[2] ?? '').trim(),
        line: firstLine === undefined ? undefined : firstLine + offset,
      })
    }
  })
  return found
}

/**
 * SQL made by calls in a migration's code (another tool's builder, Alembic's op calls),
 * parsed call by call: each statement at the line of the call that made it.
 */
export function parseCallSteps(
  steps: readonly { readonly sql: string; readonly line: number | undefined }[],
  where: string,
): ParsedStatement[] {
  return steps.flatMap((step) =>
    parseSql(step.sql, where).map((statement) => ({ ...statement, line: step.line })),
  )
}

/**
 * Parses SQL with the real PostgreSQL parser. A syntax error becomes an
 * InvalidInputError naming the line, so a typo never passes as "no findings".
 *
 * @param firstLine the line of `text`'s first character in its file, when known
 */
export function parseSql(text: string, where: string, firstLine?: number): ParsedStatement[] {
  // The parser's own type says a statement may lack its node; PostgreSQL's never does.
  let tree: { stmts?: { stmt?: Node; stmt_location?: number; stmt_len?: number }[] }
  if (parser === undefined)
    throw new Error('parseSql: the parser is not loaded yet (await loadParser() first)')
  // An empty file holds no statement, as for psql; the parser's binding refuses "".
  if (text.trim() === '') return []
  try {
    tree = parser.parseSync(text)
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails
    const position = details?.cursorPosition
    const line =
      firstLine !== undefined && position !== undefined
        ? firstLine + countNewlines(text, 0, position)
        : firstLine
    throw new InvalidInputError(`${(error as Error).message}`, {
      where: line === undefined ? where : `${where}:${line}`,
      hint: 'fix the SQL there; Strata analyses exactly what PostgreSQL would parse',
    })
  }
  const index = stringIndex(text)
  const lineAt = firstLine === undefined ? () => undefined : lineCounter(text, firstLine)
  // Where the previous statement's text ended (before its semicolon); -1 before the first.
  let previousEnd = -1
  return (tree.stmts ?? []).map((entry) => {
    const location = entry.stmt_location ?? 0
    const end =
      entry.stmt_len === undefined || entry.stmt_len === 0 ? text.length : index(location + entry.stmt_len)
    // PostgreSQL 18's parser starts a statement at its first token, 17's right after the
    // previous semicolon: the comments before it (strata:allow) are read from there either way.
    const semicolon = previousEnd === -1 ? -1 : text.indexOf(';', previousEnd)
    const start = Math.min(
      index(location),
      previousEnd === -1 ? 0 : semicolon === -1 ? text.length : semicolon + 1,
    )
    previousEnd = end
    const raw = text.slice(start, end)
    const lead = leadingCommentsLength(raw)
    const commentsLine = lineAt(start)
    return {
      node: entry.stmt!,
      sql: raw.slice(lead).trim(),
      line: lineAt(start + lead),
      allow: allowComments(raw.slice(0, lead), commentsLine),
    }
  })
}

// Statements come in order, so both cursors below move forward from where they were
// last asked: a file of thousands of statements is read once, not once per statement.

/** The line of a string index in `text`, counting from `firstLine`. */
function lineCounter(text: string, firstLine: number): (index: number) => number {
  let at = 0
  let line = firstLine
  return (index) => {
    if (index < at) {
      at = 0
      line = firstLine
    }
    line += countNewlines(text, at, index)
    at = index
    return line
  }
}

/**
 * The parser reports where statements start as byte offsets into the UTF-8 text, and
 * JavaScript strings count UTF-16 units: after a `é` or an emoji in a comment the two
 * differ, and slicing by bytes would cut statements (and their strata:allow comments)
 * in the wrong place.
 */
function stringIndex(text: string): (byteOffset: number) => number {
  if (!/[^\x00-\x7f]/.test(text)) return (byteOffset) => byteOffset // ASCII: the same
  const bytes = Buffer.from(text, 'utf8')
  let byteAt = 0
  let indexAt = 0
  return (byteOffset) => {
    if (byteOffset < byteAt) {
      byteAt = 0
      indexAt = 0
    }
    indexAt += bytes.toString('utf8', byteAt, byteOffset).length
    byteAt = byteOffset
    return indexAt
  }
}

/** Length of the whitespace and comments before a statement's first token. */
function leadingCommentsLength(text: string): number {
  let index = 0
  while (index < text.length) {
    if (/\s/.test(text[index]!)) index++
    else if (text.startsWith('--', index)) {
      const end = text.indexOf('\n', index)
      index = end === -1 ? text.length : end + 1
    } else if (text.startsWith('/*', index)) {
      const end = text.indexOf('*/', index + 2)
      index = end === -1 ? text.length : end + 2
    } else break
  }
  return index
}
