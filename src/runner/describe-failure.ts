import { readFileSync } from 'node:fs'
import { locateInFile } from '../config/describe-load-failure.js'
import type { MigrationMeta } from '../graph/migration.js'
import { countNewlines } from '../graph/split-statements.js'
import { truncate } from '../util/describe-value.js'
import { findInSource, lineAndColumn } from '../util/source-position.js'

/** The facts of a PostgreSQL error that a person needs. */
export interface DatabaseFailure {
  readonly code: string | undefined
  readonly message: string
  readonly detail: string | undefined
  readonly hint: string | undefined
  readonly position: number | undefined
  /** The table (and its schema), column and constraint the error names, when it names them. */
  readonly table: string | undefined
  readonly schema: string | undefined
  readonly column: string | undefined
  readonly constraint: string | undefined
  /** PostgreSQL's CONTEXT: where in a function or a COPY's rows (`COPY t, line 2, column n: "x"`). */
  readonly context?: string | undefined
}

export function databaseFailure(error: unknown): DatabaseFailure {
  const err = error as {
    code?: string
    message?: string
    detail?: string
    hint?: string
    position?: string
    where?: string
    table?: string
    schema?: string
    column?: string
    constraint?: string
    cause?: { table?: string; schema?: string; column?: string; constraint?: string }
  }
  const cause = err?.cause
  return {
    code: typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined,
    message: err?.message ?? String(error),
    detail: err?.detail,
    hint: err?.hint,
    position: err?.position === undefined ? undefined : Number(err.position),
    // A batch's error wraps PostgreSQL's (see BatchError): the names are on its cause.
    table: err?.table ?? cause?.table,
    schema: err?.schema ?? cause?.schema,
    column: err?.column ?? cause?.column,
    constraint: err?.constraint ?? cause?.constraint,
    context: err?.where,
  }
}

/**
 * "statement at migrations/versions/abc_users.sql:12 (line 2, column 8 of the statement):"
 * followed by the statement, shortened. The position PostgreSQL reports is a
 * character offset into the statement; it becomes a line and column here.
 */
export function describeStatement(
  meta: MigrationMeta,
  statement: { sql: string; source: { line?: number | undefined; callSite?: Error } | undefined } | undefined,
  position: number | undefined,
  context?: string,
): string {
  if (statement === undefined) return `in ${meta.file}`
  const fileLine = statement.source?.line
  const row = /^COPY [^,]+, line (\d+)(?:, column ([^:]+))?/.exec(context ?? '')
  if (row !== null && fileLine !== undefined) {
    // A row of COPY ... FROM stdin: its rows start on the line after the statement.
    const rowLine = fileLine + countNewlines(statement.sql, 0, statement.sql.length) + Number(row[1])
    return `statement at ${meta.file}:${fileLine}: ${truncate(statement.sql.replace(/\s+/g, ' ').trim(), 120)}; the row at ${meta.file}:${rowLine}${row[2] ? ` (column ${row[2]})` : ''}`
  }
  const written = fileLine === undefined ? writtenInFile(meta.file, statement.sql) : undefined
  if (written !== undefined) {
    // SQL written out in a TypeScript migration: the error's line and column in the file.
    const at = lineAndColumn(written.text, written.index + Math.max(0, (position ?? 1) - 1))
    const where = `${meta.file}:${at.line}${position !== undefined && position > 0 ? ` (column ${at.column})` : ''}`
    return `statement at ${where}: ${truncate(statement.sql.replace(/\s+/g, ' ').trim(), 200)}`
  }
  // A statement the op API rendered: the line of the op call, as the stack names it.
  const callLine =
    fileLine === undefined && statement.source?.callSite !== undefined
      ? locateInFile(statement.source.callSite, meta.file)
      : undefined
  if (callLine !== undefined)
    return `statement at ${meta.file}:${callLine} (rendered by the op call there): ${truncate(statement.sql.replace(/\s+/g, ' ').trim(), 200)}`
  let where = fileLine === undefined ? meta.file : `${meta.file}:${fileLine}`
  if (position !== undefined && position > 0) {
    const before = statement.sql.slice(0, position - 1)
    const line = before.split('\n').length
    const column = position - before.lastIndexOf('\n') - 1
    where +=
      fileLine === undefined
        ? ` (statement line ${line}, column ${column})`
        : ` (line ${fileLine + line - 1}, column ${column})`
  }
  return `statement at ${where}: ${truncate(statement.sql.replace(/\s+/g, ' ').trim(), 200)}`
}

/** Where a migration file holds this SQL literally (TypeScript's op.execute), if it does. */
function writtenInFile(file: string, sql: string): { text: string; index: number } | undefined {
  if (file.endsWith('.sql')) return undefined
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined // the error being reported matters more than its line
  }
  const index = findInSource(text, sql)
  return index === undefined ? undefined : { text, index }
}
