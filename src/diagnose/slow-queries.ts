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
  // From pg_settings, which leaves out what the role may not see (shared_preload_libraries
  // needs pg_read_all_settings) where current_setting() would fail the whole report.
  const preload = await client.query<{ libraries: string }>(
    "SELECT setting AS libraries FROM pg_settings WHERE name = 'shared_preload_libraries'",
  )
  const libraries = preload.rows[0]?.libraries.trim()
  const preloaded = libraries
    ?.split(',')
    .some((name) => name.trim().replace(/"/g, '') === 'pg_stat_statements')
  const wanted = !libraries ? 'pg_stat_statements' : `${libraries}, pg_stat_statements`
  const restart =
    libraries === undefined
      ? 'add pg_stat_statements to shared_preload_libraries (this role may not read it; a superuser can: SHOW shared_preload_libraries), then restart the server'
      : `ALTER SYSTEM SET shared_preload_libraries = '${wanted}';  -- or edit postgresql.conf; then restart the server (a reload is not enough)`
  const notLoaded: SlowQueryReport = {
    available: false,
    reason: 'pg_stat_statements is installed but not loaded by the server, so it records nothing',
    fix: [restart],
  }
  if (installed.rows.length === 0) {
    return {
      available: false,
      reason: 'the pg_stat_statements extension is not installed in this database',
      fix: preloaded
        ? ['CREATE EXTENSION pg_stat_statements;  -- the library is already preloaded; no restart needed']
        : [restart, 'then: CREATE EXTENSION pg_stat_statements;'],
    }
  }
  if (preloaded === false) return notLoaded
  const modern = serverVersionNum >= 130000
  const total = modern ? 'total_exec_time' : 'total_time'
  const mean = modern ? 'mean_exec_time' : 'mean_time'
  const max = modern ? 'max_exec_time' : 'max_time'
  const view = `"${installed.rows[0]!.schema.replace(/"/g, '""')}".pg_stat_statements`
  const reading = client.query<SlowQuery>(
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
  try {
    return { available: true, queries: (await reading).rows }
  } catch (error) {
    // Unknown whether preloaded (the role could not read the setting), and it is not.
    if ((error as { code?: string }).code === OBJECT_NOT_IN_PREREQUISITE_STATE) return notLoaded
    throw error
  }
}

/** SQLSTATE 55000: pg_stat_statements "must be loaded via shared_preload_libraries". */
const OBJECT_NOT_IN_PREREQUISITE_STATE = '55000'
