/** One SQL statement and where it starts in its source. */
export interface SqlStatement {
  readonly sql: string
  /** 1-based line of the statement's first character in the source text. */
  readonly line: number
  /** A `COPY ... FROM stdin`'s rows, as written after it in the file (without the `\.`). */
  readonly copyData?: string
}

/**
 * Splits SQL text into statements at top-level semicolons, respecting quotes
 * ('...', E'...', "..."), dollar quotes ($$...$$, $tag$...$tag$), line comments and
 * nested block comments. Comment-only pieces are dropped. Used to run SQL migrations
 * one statement at a time, so an error names its statement and line.
 */
export function splitStatements(text: string, firstLine = 1): SqlStatement[] {
  const statements: SqlStatement[] = []
  let start = 0
  // Lines are counted on from the previous statement: a migration of thousands of
  // statements is read once, not once per statement.
  let counted = 0
  let line = firstLine
  /** Ends the statement at `end`; returns where the text goes on when rows of a COPY follow it. */
  const flush = (end: number): number | undefined => {
    const raw = text.slice(start, end)
    const leading = raw.length - raw.trimStart().length
    const sql = raw.trim()
    if (sql === '' || isOnlyComments(sql)) return undefined
    line += countNewlines(text, counted, start + leading)
    counted = start + leading
    // The lines after COPY ... FROM stdin are its rows, not SQL, up to `\.` (as psql reads them).
    const data = end < text.length ? copyDataAfter(text, end, sql) : undefined
    statements.push(
      data === undefined ? { sql, line } : { sql, line, copyData: text.slice(data.start, data.rowsEnd) },
    )
    return data?.end
  }
  forEachTopLevel(text, (index) => {
    if (text[index] !== ';') return undefined
    const after = flush(index)
    start = after ?? index + 1
    return after
  })
  flush(text.length)
  return statements
}

/**
 * Where the rows of a `COPY ... FROM stdin` statement ending at `end` (its `;`) are:
 * from the next line up to the line `\.` (`rowsEnd`), or the end of the text, as psql
 * would read them; `end` is past the `\.` line.
 */
export function copyDataAfter(
  text: string,
  end: number,
  statement: string,
): { start: number; rowsEnd: number; end: number } | undefined {
  if (!isCopyFromStdin(statement)) return undefined
  const lineEnd = text.indexOf('\n', end)
  if (lineEnd === -1) return { start: text.length, rowsEnd: text.length, end: text.length }
  const rest = text.slice(lineEnd + 1)
  const terminator = /^\\\.\r?$/m.exec(rest)
  if (terminator === null) return { start: lineEnd + 1, rowsEnd: text.length, end: text.length }
  const rowsEnd = lineEnd + 1 + terminator.index
  return { start: lineEnd + 1, rowsEnd, end: rowsEnd + terminator[0].length }
}

/**
 * Calls `visit` with the index of every character of `text` that is SQL itself: not
 * inside quotes ('...', E'...', "..."), dollar quotes ($$...$$, $tag$...$tag$), line
 * comments or nested block comments. `visit` may return the index to go on from, to
 * skip what it has consumed.
 */
export function forEachTopLevel(text: string, visit: (index: number) => number | undefined): void {
  let index = 0
  const length = text.length
  while (index < length) {
    const char = text[index]!
    const next = text[index + 1]
    if (char === '-' && next === '-') {
      const end = text.indexOf('\n', index)
      index = end === -1 ? length : end + 1
    } else if (char === '/' && next === '*') {
      let depth = 1
      index += 2
      while (index < length && depth > 0) {
        if (text[index] === '/' && text[index + 1] === '*') {
          depth++
          index += 2
        } else if (text[index] === '*' && text[index + 1] === '/') {
          depth--
          index += 2
        } else index++
      }
    } else if (char === "'") {
      const escapes = index > 0 && /[eE]/.test(text[index - 1]!) && !/\w/.test(text[index - 2] ?? ' ')
      index = skipQuoted(text, index + 1, "'", escapes)
    } else if (char === '"') {
      index = skipQuoted(text, index + 1, '"', false)
    } else if (char === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(index, index + 64))
      if (tag && !/\w/.test(text[index - 1] ?? ' ')) {
        const close = text.indexOf(tag[0], index + tag[0].length)
        index = close === -1 ? length : close + tag[0].length
      } else index = visit(index) ?? index + 1
    } else index = visit(index) ?? index + 1
  }
}

function skipQuoted(text: string, from: number, quote: string, backslashEscapes: boolean): number {
  let index = from
  while (index < text.length) {
    const char = text[index]!
    if (backslashEscapes && char === '\\') index += 2
    else if (char === quote) {
      if (text[index + 1] === quote) index += 2
      else return index + 1
    } else index++
  }
  return index
}

function isOnlyComments(sql: string): boolean {
  return splitStatementsStripComments(sql).trim() === ''
}

function splitStatementsStripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '')
}

/**
 * `COPY ... FROM stdin`: psql sends the lines after it as the table's rows, up to `\.`.
 * Comments around the statement do not count.
 */
export function isCopyFromStdin(statement: string): boolean {
  // Most statements are no COPY: the word test spares them the comment-stripping copy.
  if (!/stdin/i.test(statement)) return false
  const code = statement.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
  return /^\s*COPY\b[\s\S]*\bFROM\s+STDIN\b/i.test(code)
}

/** Newlines in `text` between `from` and `to`: a line offset. */
export function countNewlines(text: string, from: number, to: number): number {
  let count = 0
  for (let index = from; index < to; index++) if (text.charCodeAt(index) === 10) count++
  return count
}
