import type { Connection } from '../db/connect.js'
import { readReplicaLag } from '../db/replica-lag.js'
import type { CheckOutcome } from './check-result.js'

/**
 * "Synchronous standbys connected": with `synchronous_standby_names` set, every commit
 * waits for a standby it names to confirm. When none of them is connected, commits
 * wait for ever: every write of the application hangs, and so would a migration's
 * COMMIT. The same holds when fewer are connected than the setting asks for
 * (`FIRST 2 (a, b, c)`, `ANY 2 (a, b, c)`): commits wait until that many confirm.
 */
export async function checkSynchronousStandbys(connection: Connection): Promise<CheckOutcome> {
  const { rows } = await connection.client.query<{ names: string; standby: boolean }>(
    "SELECT current_setting('synchronous_standby_names') AS names, pg_is_in_recovery() AS standby",
  )
  const { names, standby } = rows[0]!
  if (names.trim() === '') return { status: 'ok', summary: 'no synchronous replication configured' }
  if (standby) return { status: 'ok', summary: `standby: synchronous_standby_names applies to its primary` }
  const { replicas, hidden } = await readReplicaLag((sql) => connection.client.query(sql))
  const synchronous = replicas.filter(
    (replica) => replica.syncState === 'sync' || replica.syncState === 'quorum',
  ).length
  const required = requiredStandbys(names)
  if (synchronous >= required)
    return {
      status: 'ok',
      summary: `${synchronous} synchronous ${synchronous === 1 ? 'standby' : 'standbys'} connected (synchronous_standby_names = '${names}')`,
    }
  if (hidden > 0)
    return {
      status: 'ok',
      summary: `not checked: ${connection.spec.user} may not see which replicas are synchronous (pg_monitor may)`,
    }
  if (synchronous > 0)
    return {
      status: 'fail',
      summary: `synchronous_standby_names = '${names}' asks for ${required} synchronous standbys but ${synchronous} ${synchronous === 1 ? 'is' : 'are'} connected: every commit waits for ${required}, so writes hang`,
      details: [
        `bring the standbys back, or ask for fewer: ALTER SYSTEM SET synchronous_standby_names = '<${synchronous} or fewer of them>'; SELECT pg_reload_conf();`,
      ],
    }
  return {
    status: 'fail',
    summary: `synchronous_standby_names = '${names}' but no synchronous standby is connected: every commit waits for one, so writes hang`,
    details: [
      "bring the standby back, or stop waiting for it: ALTER SYSTEM SET synchronous_standby_names = ''; SELECT pg_reload_conf();",
    ],
  }
}

/**
 * How many standbys must confirm each commit: `FIRST n (...)` and `ANY n (...)` say it;
 * `n (...)` is FIRST's old spelling; a plain list of names asks for one.
 */
export function requiredStandbys(names: string): number {
  const count = /^\s*(?:(?:FIRST|ANY)\s+)?(\d+)\s*\(/i.exec(names)?.[1]
  return count === undefined ? 1 : Math.max(1, Number(count))
}
