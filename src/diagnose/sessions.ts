import type pg from 'pg'

/** One server session, as every diagnose topic shows it. */
export interface SessionInfo {
  readonly pid: number
  readonly user: string | null
  readonly application: string
  readonly client: string | null
  readonly state: string | null
  readonly backendType: string
  /** Seconds since the current (or last) query started. */
  readonly querySeconds: number | null
  /** Seconds since the open transaction started; null outside a transaction. */
  readonly transactionSeconds: number | null
  readonly waitEvent: string | null
  /** The query text (the last one when idle), whitespace folded. */
  readonly query: string
  /** Sessions this one waits for (`pg_blocking_pids`). */
  readonly blockedBy: readonly number[]
}

/** The columns of `SessionInfo`, selected from `pg_stat_activity a`. */
export const SESSION_COLUMNS = `a.pid, a.usename AS user, a.application_name AS application,
  a.client_addr::text AS client, a.state, a.backend_type AS "backendType",
  round(extract(epoch FROM now() - a.query_start)::numeric, 1)::float8 AS "querySeconds",
  round(extract(epoch FROM now() - a.xact_start)::numeric, 1)::float8 AS "transactionSeconds",
  CASE WHEN a.wait_event IS NOT NULL THEN a.wait_event_type || ':' || a.wait_event END AS "waitEvent",
  regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g') AS query,
  pg_blocking_pids(a.pid) AS "blockedBy"`

/** Every session of the server except this one. */
export async function readSessions(client: pg.ClientBase, where = 'TRUE'): Promise<SessionInfo[]> {
  const { rows } = await client.query<SessionInfo>(
    `SELECT ${SESSION_COLUMNS} FROM pg_stat_activity a
      WHERE a.pid <> pg_backend_pid() AND (${where}) ORDER BY a.xact_start NULLS LAST, a.query_start NULLS LAST, a.pid`,
  )
  return rows
}

/** A relation lock a session holds or waits for. */
export interface HeldLock {
  readonly pid: number
  readonly relation: string
  readonly mode: string
  readonly granted: boolean
}

/** Relation locks in the current database held or awaited by `pids`. */
export async function readRelationLocks(client: pg.ClientBase, pids: readonly number[]): Promise<HeldLock[]> {
  if (pids.length === 0) return []
  const { rows } = await client.query<HeldLock>(
    `SELECT l.pid, l.relation::regclass::text AS relation, l.mode, l.granted
       FROM pg_locks l
      WHERE l.pid = ANY($1) AND l.locktype = 'relation'
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.relation NOT IN (SELECT oid FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace)
      ORDER BY l.pid, l.granted, l.relation::regclass::text`,
    [pids],
  )
  return rows
}
