import type { Connection } from '../db/connect.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'

/**
 * End of community support per major version (postgresql.org/support/versioning).
 * A server past it gets no security fixes, which is worth a warning in a health check.
 */
const END_OF_LIFE: Readonly<Record<number, string>> = {
  12: '2024-11-21',
  13: '2025-11-13',
  14: '2026-11-12',
  15: '2027-11-11',
  16: '2028-11-09',
  17: '2029-11-08',
  18: '2030-11-14',
  // Release policy: the November minor release five years on, on its second Thursday.
  19: '2031-11-13',
}

/** Round trips measured; the median is reported. */
const PINGS = 5

/** "connected in 12 ms; round trip 0.4 ms (median of 5)". */
export async function checkRoundTrip(connection: Connection, connectMs: number): Promise<CheckOutcome> {
  const times: number[] = []
  for (let i = 0; i < PINGS; i += 1) {
    const started = performance.now()
    await connection.client.query('SELECT 1')
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]!
  return {
    status: 'ok',
    summary: `connected in ${connectMs} ms${connection.tls ? ' (TLS)' : ''}; round trip ${median.toFixed(1)} ms (median of ${PINGS})`,
  }
}

export async function checkServerVersion(connection: Connection, today = new Date()): Promise<CheckOutcome> {
  const { rows } = await connection.client.query<{ version: string }>(
    "SELECT current_setting('server_version') AS version",
  )
  const major = Math.floor(connection.serverVersionNum / 10000)
  const endOfLife = END_OF_LIFE[major]
  const summary = `PostgreSQL ${rows[0]!.version.split(' ')[0]}`
  if (endOfLife !== undefined && today.toISOString().slice(0, 10) > endOfLife) {
    return {
      status: 'warn',
      summary: `${summary}: out of community support since ${endOfLife}, no more security fixes`,
      details: ['plan a major upgrade (pg_upgrade, or logical replication to a new server)'],
    }
  }
  return {
    status: 'ok',
    summary: endOfLife === undefined ? summary : `${summary} (supported until ${endOfLife})`,
  }
}

/** Primary or standby; a standby cannot be migrated and lags behind its primary. */
export async function checkRecoveryRole(connection: Connection): Promise<CheckOutcome> {
  const { rows } = await connection.client.query<{ standby: boolean; read_only: string; lag: number | null }>(
    `SELECT pg_is_in_recovery() AS standby, current_setting('default_transaction_read_only') AS read_only,
            extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS lag`,
  )
  const row = rows[0]!
  if (row.standby) {
    const lag = row.lag === null ? 'no transaction replayed yet' : `replay lag ${row.lag.toFixed(1)}s`
    return {
      status: 'warn',
      summary: `in recovery (a standby, read-only; ${lag})`,
      details: ['migrations and backups that write must target the primary'],
    }
  }
  if (row.read_only === 'on') {
    return {
      status: 'warn',
      summary: 'primary, but default_transaction_read_only is on: migrations will fail',
      details: [
        'ALTER DATABASE ... SET default_transaction_read_only = off, or connect with a role that overrides it',
      ],
    }
  }
  return { status: 'ok', summary: 'primary (read-write)' }
}

/** Client connections against the limit left after the reserved ones. */
export async function checkConnections(connection: Connection): Promise<CheckOutcome> {
  const { rows } = await connection.client.query<{ used: number; usable: number }>(
    `SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used,
            current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int AS usable`,
  )
  const { used, usable } = rows[0]!
  const share = used / usable
  const summary = `${used} of ${usable} connections in use (${Math.round(share * 100)}%)`
  if (share >= 0.9)
    return {
      status: 'fail',
      summary,
      details: ['new connections will soon be refused: use a pooler (PgBouncer) or raise max_connections'],
    }
  if (share >= 0.8)
    return {
      status: 'warn',
      summary,
      details: ['close to max_connections: check for leaked connections (`strata diagnose activity`)'],
    }
  return { status: 'ok', summary }
}

/** Transactions in this database open longer than `seconds`: they hold locks, block vacuum and stall migrations. */
export async function checkLongTransactions(connection: Connection, seconds: number): Promise<CheckOutcome> {
  const { rows } = await connection.client.query<{
    pid: number
    usename: string
    state: string
    age: number
    query: string
  }>(
    `SELECT pid, usename, state, extract(epoch FROM now() - xact_start)::int AS age, left(query, 80) AS query
       FROM pg_stat_activity
      WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND datname = current_database()
        AND now() - xact_start > make_interval(secs => $1)
      ORDER BY xact_start`,
    [seconds],
  )
  if (rows.length === 0) return { status: 'ok', summary: `none open longer than ${seconds}s` }
  return {
    status: 'warn',
    summary: `${plural(rows.length, 'transaction')} open longer than ${seconds}s`,
    details: rows.map(
      (row) =>
        `pid ${row.pid} (${row.usename}, ${row.state}) open ${row.age}s: ${row.query.replace(/\s+/g, ' ')} — a migration would wait behind its locks; see \`strata diagnose activity\``,
    ),
  }
}

/** How far the database's oldest unfrozen transaction ID is from wraparound (2³¹). */
export async function checkWraparound(connection: Connection): Promise<CheckOutcome> {
  const { rows } = await connection.client.query<{ age: number }>(
    'SELECT age(datfrozenxid)::int8::float8 AS age FROM pg_database WHERE datname = current_database()',
  )
  const age = rows[0]!.age
  const share = age / 2 ** 31
  const summary = `oldest unfrozen transaction ID ${age.toLocaleString('en-US')} old (${(share * 100).toFixed(1)}% of wraparound)`
  const fix = [
    'VACUUM (FREEZE) the oldest tables; find them with: SELECT relname, age(relfrozenxid) FROM pg_class ORDER BY 2 DESC',
  ]
  if (share >= 0.75) return { status: 'fail', summary, details: fix }
  if (share >= 0.4) return { status: 'warn', summary, details: fix }
  return { status: 'ok', summary }
}
