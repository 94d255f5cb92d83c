import type pg from 'pg'

export interface SlowQuery {
  readonly query: string
  readonly calls: number
  readonly totalMs: number
  readonly meanMs: number
  readonly maxMs: number
  readonly rows: number
  /** Share of all time recorded by pg_stat_statements, 0..1. */
  readonly share: number
}

/** Slow queries, or why they cannot be shown and what to do about it. */
export type SlowQueryReport =
  | { readonly available: true; readonly queries: readonly SlowQuery[] }
  | { readonly available: false; readonly reason: string; readonly fix: readonly string[] }

/**
 * The most expensive statements by total time, from `pg_stat_statements` (the guide's
 * "check slow queries"). Its columns were renamed in PostgreSQL 13 (`total_time` became
 * `total_exec_time`, and so on): the right ones are picked for the server. When the
 * extension is missing, the report says exactly how to enable it.
 */
export async function readSlowQueries(
  client: pg.ClientBase,
  serverVersionNum: number,
  limit: number,
): Promise<SlowQueryReport> {
  const installed = await client.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname = 'pg_stat_statements'`,
  )
  const preload = await client.query<{ libraries: string }>(
    "SELECT current_setting('shared_preload_libraries') AS libraries",
  )
  const preloaded = preload.rows[0]!.libraries.split(',').some(
    (name) => name.trim().replace(/"/g, '') === 'pg_stat_statements',
  )
  const current = preload.rows[0]!.libraries.trim()
  const wanted = current === '' ? 'pg_stat_statements' : `${current}, pg_stat_statements`
  const restart = `ALTER SYSTEM SET shared_preload_libraries = '${wanted}';  -- or edit postgresql.conf; then restart the server (a reload is not enough)`
  if (installed.rows.length === 0) {
    return {
      available: false,
      reason: 'the pg_stat_statements extension is not installed in this database',
      fix: preloaded
        ? ['CREATE EXTENSION pg_stat_statements;  -- the library is already preloaded; no restart needed']
        : [restart, 'then: CREATE EXTENSION pg_stat_statements;'],
    }
  }
  if (!preloaded) {
    return {
      available: false,
      reason: 'pg_stat_statements is installed but not loaded by the server, so it records nothing',
      fix: [restart],
    }
  }
  const modern = serverVersionNum >= 130000
  const total = modern ? 'total_exec_time' : 'total_time'
  const mean = modern ? 'mean_exec_time' : 'mean_time'
  const max = modern ? 'max_exec_time' : 'max_time'
  const view = `"${installed.rows[0]!.schema.replace(/"/g, '""')}".pg_stat_statements`
  const { rows } = await client.query<SlowQuery>(
    `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls::float8 AS calls,
            round(${total}::numeric, 2)::float8 AS "totalMs", round(${mean}::numeric, 2)::float8 AS "meanMs",
            round(${max}::numeric, 2)::float8 AS "maxMs", rows::float8 AS rows,
            coalesce(${total} / nullif(sum(${total}) OVER (), 0), 0)::float8 AS share
       FROM ${view}
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY ${total} DESC
      LIMIT $1`,
    [limit],
  )
  return { available: true, queries: rows }
}
