import { availableParallelism } from 'node:os'
import { withConnection } from '../db/connect.js'
import { type ConnectionSpec, isLocalHost } from '../db/connection-spec.js'

/** What the default concurrency was derived from, for the summary and the report. */
export interface ConnectionBudget {
  readonly maxConnections: number
  readonly reserved: number
  readonly inUse: number
  /** The server's CPUs, when it runs on this machine (a remote server's are not known). */
  readonly cpus: number | undefined
  readonly concurrency: number
  /**
   * The most tenants this server can take at once with the connections free now, the
   * application left none: beyond it, tenants and the application are refused
   * connections ("too many clients already").
   */
  readonly ceiling: number
}

/** A migrating tenant may open a second session, to watch for lock waits. */
export const SESSIONS_PER_TENANT = 2

/** Beyond this, more tenants at once only queue on the server's CPUs and disks. */
export const MAX_DEFAULT_CONCURRENCY = 16

/**
 * The default number of tenants migrated at once on a server: half of the connections
 * still free (the application keeps the other half), divided by two because a
 * migrating tenant may open a second session to watch for lock waits, and at most
 * {@link MAX_DEFAULT_CONCURRENCY}. A server on this machine also gets at most two
 * tenants per CPU: migrations are the server's CPU work, and more at once only
 * queue (measured: 2 CPUs migrate a fleet fastest 4 at a time, a quarter slower 16
 * at a time). Never below one.
 *
 * @example max_connections 100, 3 reserved, 7 in use → (100 − 3 − 7) / 2 / 2 → 22 → 16
 * @example the same on this machine with 2 CPUs → 4
 */
export async function connectionBudget(spec: ConnectionSpec): Promise<ConnectionBudget> {
  const { maxConnections, reserved, inUse } = await withConnection(spec, async ({ client }) => {
    const { rows } = await client.query<{ max: number; reserved: number; in_use: number }>(
      `SELECT current_setting('max_connections')::int AS max,
              current_setting('superuser_reserved_connections')::int
                + coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0) AS reserved,
              (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS in_use`,
    )
    const row = rows[0]!
    return { maxConnections: row.max, reserved: row.reserved, inUse: row.in_use }
  })
  const free = Math.max(0, maxConnections - reserved - inUse)
  const cpus = isLocalHost(spec.host) ? availableParallelism() : undefined
  const concurrency = Math.max(
    1,
    Math.min(
      MAX_DEFAULT_CONCURRENCY,
      Math.floor(free / 2 / SESSIONS_PER_TENANT),
      cpus === undefined ? Infinity : 2 * cpus,
    ),
  )
  return {
    maxConnections,
    reserved,
    inUse,
    cpus,
    concurrency,
    ceiling: Math.max(1, Math.floor(free / SESSIONS_PER_TENANT)),
  }
}
