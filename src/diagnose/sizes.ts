import type pg from 'pg'
import {
  EXCLUSIVELY_LOCKED,
  exclusivelyLockedSql,
  indexesSizeSql,
  relationSizeSql,
  toastSizeSql,
  totalRelationSizeSql,
} from '../db/relation-size.js'

export interface TableSize {
  readonly schema: string
  readonly table: string
  /** Bytes: heap + indexes + TOAST. */
  readonly totalBytes: number
  readonly tableBytes: number
  readonly indexBytes: number
  readonly toastBytes: number
  /** The planner's estimate; null when never analysed. */
  readonly estimatedRows: number | null
  /**
   * A session holds or awaits ACCESS EXCLUSIVE on the table (or one of its indexes):
   * its sizes are the catalog's page counts as of its last VACUUM or ANALYZE, since
   * measuring would wait for that lock.
   */
  readonly sizeEstimated: boolean
  /**
   * Dead row versions not yet vacuumed (the statistics' count, ~0.5 s behind): a backfill
   * or a large UPDATE or DELETE leaves one per row it touched, until (auto)vacuum makes
   * their space reusable. Null without statistics for the table.
   */
  readonly deadRows: number | null
  /** The last VACUUM, manual or automatic: ISO time, or null for never. */
  readonly lastVacuum: string | null
}

export interface SizeReport {
  readonly database: string
  readonly databaseBytes: number
  readonly tables: readonly TableSize[]
  /** Tables beyond the limit, left out of `tables`. */
  readonly more: number
}

/** The database's size and its largest tables (the guide's size queries, with the parts split out). */
export async function readSizes(
  client: pg.ClientBase,
  schemas: readonly string[],
  limit: number,
): Promise<SizeReport> {
  const database = await client.query<{ name: string; bytes: string }>(
    'SELECT current_database() AS name, pg_database_size(current_database())::text AS bytes',
  )
  const { rows } = await client.query<TableSize & { total: number }>(
    `WITH ${EXCLUSIVELY_LOCKED}
     SELECT n.nspname AS schema, c.relname AS table,
            (${totalRelationSizeSql('c.oid', 'c.reltoastrelid', 'lk.locked')})::float8 AS "totalBytes",
            (${relationSizeSql('c.oid')})::float8 AS "tableBytes",
            (${indexesSizeSql('c.oid', 'c.reltoastrelid', 'lk.locked')})::float8 AS "indexBytes",
            (${toastSizeSql('c.oid', 'c.reltoastrelid', 'lk.locked')})::float8 AS "toastBytes",
            CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::float8 END AS "estimatedRows",
            lk.locked AS "sizeEstimated",
            s.n_dead_tup::float8 AS "deadRows",
            to_char(greatest(s.last_vacuum, s.last_autovacuum) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "lastVacuum",
            count(*) OVER ()::int AS total
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN LATERAL (SELECT ${exclusivelyLockedSql('c.oid', 'c.reltoastrelid')} AS locked) lk
            LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
      WHERE c.relkind IN ('r', 'm') AND n.nspname = ANY($1)
      ORDER BY 3 DESC, 1, 2
      LIMIT $2`,
    [schemas, limit],
  )
  const total = rows[0]?.total ?? 0
  return {
    database: database.rows[0]!.name,
    databaseBytes: Number(database.rows[0]!.bytes),
    tables: rows.map(({ total: _total, ...size }) => size),
    more: Math.max(0, total - rows.length),
  }
}

/** `1536` → `1.5 kB`, as `pg_size_pretty` writes sizes. */
export function prettySize(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0
    ? `${value} bytes`
    : `${value >= 100 ? Math.round(value) : Number(value.toFixed(1))} ${units[unit]}`
}
