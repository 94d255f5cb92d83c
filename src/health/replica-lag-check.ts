import type { Connection } from '../db/connect.js'
import { type ReplicaLag, readReplicaLag } from '../db/replica-lag.js'
import { prettySize } from '../diagnose/sizes.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'

/**
 * "Replicas keeping up": every standby and logical subscriber streaming from this
 * server, and how many bytes of WAL each has yet to apply. A replica further behind
 * than `health.replicaLagMegabytes` is a warning: reads sent to it are stale, and a
 * failover to it would wait for the replay (or lose what it lacks).
 */
export async function checkReplicaLag(connection: Connection, warnBytes: number): Promise<CheckOutcome> {
  const reading = await readReplicaLag((sql) => connection.client.query(sql))
  const describe = (replica: ReplicaLag) =>
    `${replica.name} ${replica.state}${replica.lagBytes === undefined ? '' : `, ${prettySize(replica.lagBytes)} behind`}`
  if (reading.replicas.length === 0 && reading.hidden === 0)
    return { status: 'ok', summary: 'no replicas streaming from this server' }
  if (reading.replicas.length === 0)
    return {
      status: 'ok',
      summary: `not checked: ${connection.spec.user} may not see the positions of ${plural(reading.hidden, 'replica')} (pg_monitor may)`,
    }
  const behind = reading.replicas.filter((replica) => (replica.lagBytes ?? 0) > warnBytes)
  if (behind.length === 0) return { status: 'ok', summary: reading.replicas.map(describe).join('; ') }
  return {
    status: 'warn',
    summary: `${plural(behind.length, 'replica')} more than ${prettySize(warnBytes)} behind`,
    details: behind.map(
      (replica) =>
        `${describe(replica)}: reads sent to it are stale. On the replica, pg_stat_wal_receiver and pg_is_wal_replay_paused() show whether it receives and applies WAL; a large backfill can be paced with backfill.maxReplicaLagMb`,
    ),
  }
}
