import type pg from 'pg'
import type { ResolvedConfig } from '../config/types.js'
import { quoteIdent } from '../db/quote.js'
import { OperationFailedError } from '../errors/index.js'
import { runServiceHook } from './hooks.js'

/**
 * Copies what pg_dump leaves out unless `--create` is used: the database's per-database
 * and per-role settings (`ALTER DATABASE ... SET`) and its privileges (CONNECT, TEMP,
 * CREATE), from the live database to the restored copy, so the swap changes data only.
 */
export async function copyDatabaseProperties(admin: pg.ClientBase, from: string, to: string): Promise<void> {
  const settings = await admin.query<{ role: string | null; config: string[] }>(
    `SELECT r.rolname AS role, s.setconfig AS config FROM pg_db_role_setting s
       JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole
      WHERE d.datname = $1`,
    [from],
  )
  for (const row of settings.rows) {
    for (const item of row.config) {
      const at = item.indexOf('=')
      const key = item.slice(0, at)
      const value = item.slice(at + 1).replace(/'/g, "''")
      const role = row.role === null ? '' : `ROLE ${quoteIdent(row.role)} IN `
      await admin.query(`ALTER ${role}DATABASE ${quoteIdent(to)} SET ${quoteIdent(key)} = '${value}'`)
    }
  }
  const grants = await admin.query<{ grantee: string; privilege: string }>(
    `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee, a.privilege_type AS privilege
       FROM pg_database d, aclexplode(d.datacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
      WHERE d.datname = $1`,
    [from],
  )
  for (const grant of grants.rows)
    await admin.query(`GRANT ${grant.privilege} ON DATABASE ${quoteIdent(to)} TO ${grant.grantee}`)
}

/**
 * Replaces `live` by `copy`: no new connections to `live`, its sessions ended, then both
 * renames in one transaction (either both happen or neither). The old database stays as
 * `keptAs`, connectable again, until pruned.
 */
export async function swapDatabases(
  admin: pg.ClientBase,
  live: string,
  copy: string,
  keptAs: string,
): Promise<EndedSession[]> {
  await admin.query(`ALTER DATABASE ${quoteIdent(live)} WITH ALLOW_CONNECTIONS false`)
  try {
    // Every session goes (an autovacuum worker would block the rename too); clients are named.
    const ended = await admin.query<EndedSession & { client: boolean }>(
      `SELECT pid, usename AS "user", coalesce(nullif(application_name, ''), client_addr::text, 'local') AS application,
              backend_type = 'client backend' AS client, pg_terminate_backend(pid) AS terminated
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [live],
    )
    await waitForNoSessions(admin, live)
    await admin.query('BEGIN')
    await admin.query(`ALTER DATABASE ${quoteIdent(live)} RENAME TO ${quoteIdent(keptAs)}`)
    await admin.query(`ALTER DATABASE ${quoteIdent(copy)} RENAME TO ${quoteIdent(live)}`)
    await admin.query('COMMIT')
    return ended.rows.filter((session) => session.client)
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    // Whichever name it has now, the old database accepts connections again.
    for (const name of [keptAs, live])
      await admin
        .query(`ALTER DATABASE ${quoteIdent(name)} WITH ALLOW_CONNECTIONS true`)
        .catch(() => undefined)
  }
}

/**
 * The moment a restore touches the live database: the stop-services hook, the swap, the
 * start-services hook. A stop hook that fails leaves both databases as they were, and the
 * error carries `leftover` (what is left to remove). Returns the sessions ended.
 */
export async function swapWithServicesStopped(
  config: ResolvedConfig,
  admin: pg.ClientBase,
  swap: { readonly live: string; readonly copy: string; readonly keptAs: string; readonly leftover: string },
  onLine: (line: string) => void,
): Promise<number> {
  await runServiceHook(config, 'stopServices', onLine).catch((error: Error) => {
    throw new OperationFailedError(error.message, { hint: swap.leftover })
  })
  onLine(`Swapping: ${swap.copy} becomes ${swap.live}; the previous database is kept as ${swap.keptAs}`)
  const ended = await swapDatabases(admin, swap.live, swap.copy, swap.keptAs)
  // Sessions still on the live database (no stopServices hook, or one that left some)
  // were ended for the rename: said, since their open transactions rolled back.
  if (ended.length > 0) onLine(describeEndedSessions(swap.live, ended))
  await runServiceHook(config, 'startServices', onLine)
  return ended.length
}

/** A session on the live database that the swap ended. */
export interface EndedSession {
  readonly pid: number
  readonly user: string
  readonly application: string
}

/** "Ended 2 sessions still connected to shop (their open transactions rolled back): pid 41 psql (app), ..." */
export function describeEndedSessions(database: string, ended: readonly EndedSession[]): string {
  const shown = ended
    .slice(0, 5)
    .map((session) => `pid ${session.pid} ${session.application} (${session.user})`)
    .join(', ')
  return `Ended ${ended.length} session${ended.length === 1 ? '' : 's'} still connected to ${database} (open transactions rolled back; clients reconnect to the restored database): ${shown}${ended.length > 5 ? `, and ${ended.length - 5} more` : ''}`
}

async function waitForNoSessions(admin: pg.ClientBase, database: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { rows } = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    )
    if (rows[0]!.n === 0) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
