import type { Connection } from '../db/connect.js'
import type { CheckOutcome } from './check-result.js'

/**
 * "Synchronous standbys connected": with `synchronous_standby_names` set, every commit
 * waits for a standby it names to confirm. When none of them is connected, commits
 * wait for ever: every write of the application hangs, and so would a migration's
 * COMMIT. Only the case of no synchronous standby at all is a failure; how many the
 * setting asks for (`FIRST 2 (...)`, `ANY 2 (...)`) is shown, not parsed.
 */
export async function checkSynchronousStandbys(connection: Connection): Promise<CheckOutcome> {
  const { rows } = await connection.client.query<{
    names: string
    standby: boolean
    synchronous: number
    hidden: number
  }>(
    `SELECT current_setting('synchronous_standby_names') AS names, pg_is_in_recovery() AS standby,
            (SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum'))::int AS synchronous,
            (SELECT count(*) FROM pg_stat_replication WHERE state IS NULL)::int AS hidden`,
  )
  const { names, standby, synchronous, hidden } = rows[0]!
  if (names.trim() === '') return { status: 'ok', summary: 'no synchronous replication configured' }
  if (standby) return { status: 'ok', summary: `standby: synchronous_standby_names applies to its primary` }
  if (synchronous > 0)
    return {
      status: 'ok',
      summary: `${synchronous} synchronous ${synchronous === 1 ? 'standby' : 'standbys'} connected (synchronous_standby_names = '${names}')`,
    }
  if (hidden > 0)
    return {
      status: 'ok',
      summary: `not checked: ${connection.spec.user} may not see which replicas are synchronous (pg_monitor may)`,
    }
  return {
    status: 'fail',
    summary: `synchronous_standby_names = '${names}' but no synchronous standby is connected: every commit waits for one, so writes hang`,
    details: [
      "bring the standby back, or stop waiting for it: ALTER SYSTEM SET synchronous_standby_names = ''; SELECT pg_reload_conf();",
    ],
  }
}
