import type { RelationName } from './sql-fragments.js'

// An interrupted `CREATE INDEX CONCURRENTLY` leaves an INVALID index behind, which every
// query pays to maintain and none can use. When the migration runs again, `IF NOT EXISTS`
// finds that index and skips the build, so the migration would be recorded with the
// index still invalid; without IF NOT EXISTS the build fails on the name. Whichever way
// the statement comes (an SQL migration, op.execute, op.createIndex), the op API reads
// which index it builds, so that an invalid one of that name is dropped first.

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)`
const LEADING_COMMENTS = String.raw`^(?:\s|--[^\n]*(?:\n|$)|/\*[\s\S]*?\*/)*`
const BUILD = new RegExp(
  `${LEADING_COMMENTS}CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+CONCURRENTLY\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(${IDENT})\\s+ON\\s+(?:ONLY\\s+)?(${IDENT})(?:\\s*\\.\\s*(${IDENT}))?`,
  'i',
)

/** The index a `CREATE INDEX CONCURRENTLY name ON table` statement builds; undefined for any other statement (or an unnamed index). */
export function concurrentIndexBuild(sql: string): { name: string; table: RelationName } | undefined {
  const match = BUILD.exec(sql)
  if (match === null) return undefined
  const name = identifier(match[1]!)
  return match[3] === undefined
    ? { name, table: { name: identifier(match[2]!) } }
    : { name, table: { schema: identifier(match[2]!), name: identifier(match[3]) } }
}

/** An identifier as PostgreSQL reads it: quoted as written, unquoted folded to lower case. */
function identifier(text: string): string {
  return text.startsWith('"') ? text.slice(1, -1).replace(/""/g, '"') : text.toLowerCase()
}

const REINDEX = new RegExp(
  `${LEADING_COMMENTS}REINDEX\\s+(?:\\([^)]*\\)\\s*)?(INDEX|TABLE)\\s+CONCURRENTLY\\s+(${IDENT})(?:\\s*\\.\\s*(${IDENT}))?`,
  'i',
)

/**
 * What a `REINDEX INDEX|TABLE CONCURRENTLY` statement rebuilds; undefined for any other
 * statement. An interrupted one leaves invalid `<index>_ccnew` (and, past the swap,
 * `<index>_ccold`) indexes behind, which a second run does not reuse: it builds
 * `<index>_ccnew1` beside them.
 */
export function concurrentReindex(
  sql: string,
): { kind: 'index' | 'table'; relation: RelationName } | undefined {
  const match = REINDEX.exec(sql)
  if (match === null) return undefined
  const kind = match[1]!.toLowerCase() as 'index' | 'table'
  const relation: RelationName =
    match[3] === undefined
      ? { name: identifier(match[2]!) }
      : { schema: identifier(match[2]!), name: identifier(match[3]) }
  return { kind, relation }
}
