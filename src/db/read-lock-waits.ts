import type pg from 'pg'

/**
 * How long a read of the checking and diagnosing commands waits for a lock. Their
 * reads need only ACCESS SHARE, which waits solely behind ACCESS EXCLUSIVE: a running
 * ALTER TABLE, or one queued in front of the application. Waiting without limit would
 * hang the command when it is needed most, and hold the application's queries queued
 * behind it; after this long the read fails with 55P03 and the command says who holds
 * the lock instead.
 */
export const READ_LOCK_TIMEOUT = '3s'

/** Sets `READ_LOCK_TIMEOUT` for the rest of a read-only session. */
export async function limitReadLockWaits(client: pg.ClientBase): Promise<void> {
  await client.query(`SET lock_timeout = '${READ_LOCK_TIMEOUT}'`)
}

/**
 * Who kept a read from getting its ACCESS SHARE lock on one of `relations` (quoted
 * names, as `quoteQualified` writes them) within `READ_LOCK_TIMEOUT`: "locked by pid
 * 4242 (AccessExclusiveLock, app, idle in transaction for 180s; ...); the read waited 3s".
 * A session only waiting for ACCESS EXCLUSIVE blocks reads too (they queue behind it),
 * and is named when nobody holds the lock. Without `relations` (a check that reads many
 * tables, and PostgreSQL's 55P03 does not say which one), any table of this database,
 * named in the text.
 */
export async function describeLockHolder(
  client: pg.ClientBase,
  relations?: readonly string[],
): Promise<string> {
  const holder = await client.query<{
    pid: number
    granted: boolean
    usename: string
    state: string
    seconds: number
    relation: string
  }>(
    `SELECT l.pid, l.granted, a.usename, a.state, l.relation::regclass::text AS relation,
            extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::int AS seconds
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE ($1::text[] IS NULL OR l.relation IN (SELECT to_regclass(name) FROM unnest($1::text[]) AS name))
        AND l.locktype = 'relation'
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_backend_pid()
      ORDER BY l.granted DESC, a.xact_start
      LIMIT 1`,
    [relations ?? null],
  )
  const row = holder.rows[0]
  const waited = `the read waited ${READ_LOCK_TIMEOUT}`
  if (row === undefined) return `could not get a lock to read it; ${waited}`
  const on = relations === undefined ? ` on ${row.relation}` : ''
  return `${row.granted ? 'locked by' : 'behind'} pid ${row.pid} (${row.granted ? '' : 'waiting for '}AccessExclusiveLock${on}, ${row.usename}, ${row.state} for ${row.seconds}s; see \`strata diagnose blocking\`); ${waited}`
}
