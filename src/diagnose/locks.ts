import type pg from 'pg'
import { InvalidInputError } from '../errors/index.js'
import { didYouMean } from '../util/closest-match.js'

/** One row of `strata diagnose locks`. */
export interface LockRow {
  readonly pid: number
  /** `relation`, `advisory`, `transactionid`, ... */
  readonly lockType: string
  /** The table (or index) for relation locks; the lock's key otherwise. */
  readonly object: string
  readonly mode: string
  readonly granted: boolean
  /** Seconds the lock has been awaited (PostgreSQL 14+), null when granted. */
  readonly waitSeconds: number | null
  readonly user: string | null
  readonly state: string | null
  readonly transactionSeconds: number | null
  readonly query: string
}

/**
 * Locks held and awaited in the current database (the guide's "check table locks"),
 * by every session but this one; with `table`, only the locks on that table. Virtual
 * transaction ids, which every transaction holds on itself, are left out.
 */
export async function readLocks(
  client: pg.ClientBase,
  serverVersionNum: number,
  table?: string,
): Promise<{ table: string | undefined; locks: LockRow[] }> {
  let relation: number | null = null
  let tableName: string | undefined
  if (table !== undefined) {
    const found = await client.query<{ oid: number | null; name: string | null }>(
      'SELECT to_regclass($1)::oid::int AS oid, to_regclass($1)::text AS name',
      [table],
    )
    relation = found.rows[0]!.oid
    if (relation === null) {
      const names = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c WHERE c.relkind IN ('r', 'p', 'm', 'i')
           AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)`,
      )
      throw new InvalidInputError(
        `no table "${table}" in this database.${didYouMean(
          table,
          names.rows.map((row) => row.name),
        )}`,
        {
          hint: 'give the table as NAME or SCHEMA.NAME; `strata diagnose sizes` lists them',
        },
      )
    }
    tableName = found.rows[0]!.name ?? table
  }
  const waitStart = serverVersionNum >= 140000 ? 'l.waitstart' : 'NULL::timestamptz'
  const { rows } = await client.query<LockRow>(
    `SELECT l.pid, l.locktype AS "lockType",
            CASE WHEN l.locktype = 'relation' THEN l.relation::regclass::text
                 WHEN l.locktype = 'advisory' THEN format('advisory %s/%s', l.classid, l.objid)
                 WHEN l.locktype = 'transactionid' THEN format('transaction %s', l.transactionid)
                 WHEN l.locktype = 'tuple' THEN format('row %s of %s', l.tuple, l.relation::regclass)
                 ELSE l.locktype END AS object,
            l.mode, l.granted,
            round(extract(epoch FROM now() - ${waitStart})::numeric, 1)::float8 AS "waitSeconds",
            a.usename AS user, a.state,
            round(extract(epoch FROM now() - a.xact_start)::numeric, 1)::float8 AS "transactionSeconds",
            regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g') AS query
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.pid <> pg_backend_pid() AND l.locktype <> 'virtualxid'
        AND (l.database IS NULL OR l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
        AND ($1::oid IS NULL OR l.relation = $1::oid)
        AND (l.locktype <> 'relation' OR l.relation NOT IN (SELECT oid FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace))
      ORDER BY l.granted, 2, 3, l.pid`,
    [relation],
  )
  return { table: tableName, locks: rows }
}
