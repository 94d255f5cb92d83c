import type pg from 'pg'
import { NOT_EXTENSION_MEMBER, NOT_SYSTEM_SCHEMA } from '../../db/catalog-filters.js'
import { quoteIdent } from '../../db/quote.js'

/** What a sample copy managed: tables with rows copied, and tables it had to leave empty. */
export interface SampleCopy {
  readonly tables: number
  readonly rows: number
  /** `table: reason`, for the rehearsal's evidence. */
  readonly skipped: readonly string[]
}

interface TableRow {
  readonly schema: string
  readonly name: string
}

/**
 * Copies up to `limit` rows of every table from `live` into `scratch`, whose schema the
 * migrations built at the same revision, so that a rehearsal meets real values (NULLs,
 * duplicates, long strings) and not only empty tables. Rows travel as JSON and are
 * inserted with `json_populate_recordset`, which needs no client program. Foreign keys
 * are not enforced while copying when the role may set `session_replication_role`
 * (a sample of a child table rarely has all its parents); otherwise a table whose rows
 * violate a constraint is left empty and named.
 */
export async function copySampleRows(
  live: pg.ClientBase,
  scratch: pg.ClientBase,
  limit: number,
  skip: (schema: string, table: string) => boolean,
): Promise<SampleCopy> {
  const { rows: tables } = await scratch.query<TableRow>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${NOT_SYSTEM_SCHEMA} AND ${NOT_EXTENSION_MEMBER}
      ORDER BY 1, 2`,
  )
  const replica = await scratch
    .query("SET session_replication_role = 'replica'")
    .then(() => true)
    .catch(() => false)
  let copied = 0
  let rowsCopied = 0
  const skipped: string[] = []
  // One transaction, with a savepoint per table: a table that fails is left empty alone.
  await scratch.query('BEGIN')
  for (const table of tables) {
    if (skip(table.schema, table.name)) continue
    const qualified = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`
    const columns = await insertableColumns(scratch, table)
    if (columns.length === 0) continue
    try {
      const sample = await live.query<{ rows: unknown }>(
        `SELECT coalesce(json_agg(t), '[]'::json) AS rows FROM (SELECT * FROM ${qualified} LIMIT ${Math.floor(limit)}) t`,
      )
      const list = columns.map(quoteIdent).join(', ')
      await scratch.query('SAVEPOINT sample')
      const inserted = await scratch.query(
        `INSERT INTO ${qualified} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM json_populate_recordset(NULL::${qualified}, $1)`,
        [JSON.stringify(sample.rows[0]!.rows)],
      )
      await scratch.query('RELEASE SAVEPOINT sample')
      copied += 1
      rowsCopied += inserted.rowCount ?? 0
    } catch (error) {
      await scratch.query('ROLLBACK TO SAVEPOINT sample').catch(() => undefined)
      skipped.push(`${table.schema}.${table.name}: ${(error as Error).message}`)
    }
  }
  await scratch.query('COMMIT')
  if (replica) await scratch.query('RESET session_replication_role')
  return { tables: copied, rows: rowsCopied, skipped }
}

/** Columns an INSERT may name: not generated, not dropped. */
async function insertableColumns(client: pg.ClientBase, table: TableRow): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_attribute a
      WHERE a.attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass
        AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [table.schema, table.name],
  )
  return rows.map((row) => row.name)
}
