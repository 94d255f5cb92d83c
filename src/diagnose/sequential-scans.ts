import type pg from 'pg'
import { EXCLUSIVELY_LOCKED, relationSizeSql } from '../db/relation-size.js'

/**
 * A table the server keeps reading whole: many sequential scans of many rows each, few
 * index scans. Usually a query filters or joins it on a column no index serves; the
 * query is in `strata diagnose slow` (pg_stat_statements).
 */
export interface SequentiallyScannedTable {
  readonly schema: string
  readonly table: string
  readonly sequentialScans: number
  /** Rows those scans read. */
  readonly rowsRead: number
  readonly indexScans: number
  readonly bytes: number
  readonly liveRows: number
}

/** A scan reads at least this many rows on average, on a table of at least this size, to be worth naming. */
const MIN_ROWS_PER_SCAN = 10_000
const MIN_BYTES = 8 * 1024 * 1024

/**
 * Tables of `schemas` read more often by sequential scans than through an index, each
 * scan reading at least 10,000 rows on average, that are 8 MB or more: where a missing
 * index costs. The busiest first, at most `limit`. Counts are the statistics' since they
 * were last reset, on this server only.
 */
export async function readSequentialScans(
  client: pg.ClientBase,
  schemas: readonly string[],
  limit = 10,
): Promise<SequentiallyScannedTable[]> {
  const { rows } = await client.query<SequentiallyScannedTable>(
    `WITH ${EXCLUSIVELY_LOCKED}
     SELECT s.schemaname AS schema, s.relname AS table,
            s.seq_scan::float8 AS "sequentialScans", s.seq_tup_read::float8 AS "rowsRead",
            coalesce(s.idx_scan, 0)::float8 AS "indexScans", s.n_live_tup::float8 AS "liveRows",
            (${relationSizeSql('s.relid')})::float8 AS bytes
       FROM pg_stat_user_tables s
      WHERE s.schemaname = ANY($1) AND s.seq_scan > 0
        AND s.seq_scan > coalesce(s.idx_scan, 0)
        AND s.seq_tup_read / s.seq_scan >= $2
        AND (${relationSizeSql('s.relid')}) >= $3
      ORDER BY s.seq_tup_read DESC, 1, 2
      LIMIT $4`,
    [schemas, MIN_ROWS_PER_SCAN, MIN_BYTES, limit],
  )
  return rows
}
