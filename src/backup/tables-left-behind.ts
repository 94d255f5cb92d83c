import type pg from 'pg'
import { withConnection } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'

/** A table of the live database that a restored copy does not have. */
export interface TableLeftBehind {
  readonly table: string
  /** The planner's estimate; undefined when the table was never analysed. */
  readonly rows: number | undefined
}

const TABLES_SQL = `SELECT n.nspname || '.' || c.relname AS name, c.reltuples::float8 AS rows
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`

async function tablesOf(client: pg.ClientBase): Promise<Map<string, number>> {
  const { rows } = await client.query<{ name: string; rows: number }>(TABLES_SQL)
  return new Map(rows.map((row) => [row.name, row.rows]))
}

/**
 * The tables `live` has that `copy` has not: after a swap they are only in the database
 * kept aside. Expected when the backup is older than a migration that created them; a
 * surprise when the backup was partial (an imported `pg_dump -t` archive says nothing of
 * it), so a restore names them before its swap.
 */
export async function tablesLeftBehind(
  live: ConnectionSpec,
  copy: ConnectionSpec,
): Promise<TableLeftBehind[]> {
  const restored = await withConnection(copy, (connection) => tablesOf(connection.client))
  const current = await withConnection(live, (connection) => tablesOf(connection.client))
  return [...current]
    .filter(([table]) => !restored.has(table))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([table, rows]) => ({ table, rows: rows < 0 ? undefined : Math.round(rows) }))
}

/** `public.audit (~12,000 rows), public.tmp (rows not counted yet)`, for the restore's log. */
export function describeLeftBehind(tables: readonly TableLeftBehind[]): string {
  return tables
    .map(({ table, rows }) =>
      rows === undefined
        ? `${table} (rows not counted yet)`
        : `${table} (~${rows.toLocaleString('en-US')} rows)`,
    )
    .join(', ')
}
