import { furthestBehind, readInactiveSlots, readReplicaLag } from '../db/replica-lag.js'
import { OperationFailedError } from '../errors/index.js'
import { formatDuration } from '../util/duration.js'
import { MANAGED, type SqlExecutor } from './sql-executor.js'

/** A backfill's pace: no batch while a replica is further behind than this. */
export interface ReplicaThrottle {
  readonly maxLagMb: number
  /** Longest single wait, in milliseconds, before the backfill stops (resumable). */
  readonly timeoutMs: number
}

const MB = 1024 * 1024
/** Between two looks at the replicas while waiting. */
const POLL_MS = 500

/**
 * Waits until every replica is within `maxLagMb` of the primary, a replication slot
 * with nobody connected counting as a replica stopped where the slot is. `onWait` gets a
 * sentence when the wait begins and about every five seconds while it lasts. A role
 * that cannot see the replicas' positions is refused rather than left unthrottled:
 * the limit was asked for.
 */
export async function waitForReplicas(
  executor: SqlExecutor,
  throttle: ReplicaThrottle,
  name: string,
  onWait: (sentence: string) => void,
): Promise<void> {
  const started = Date.now()
  let lastSaid = 0
  for (;;) {
    // Looks at the server, not the migration's statements (a failure lists those).
    const look = (sql: string) => executor.run(sql, [], MANAGED)
    const reading = await readReplicaLag(look)
    if (reading.hidden > 0)
      throw new OperationFailedError(
        `backfill ${name}: maxReplicaLagMb is set, but this role cannot see how far ${reading.hidden === 1 ? 'the replica is' : `${reading.hidden} replicas are`} behind (pg_stat_replication shows positions only to superusers and pg_read_all_stats)`,
        {
          hint: "GRANT pg_monitor TO the migrating role, or remove backfill.maxReplicaLagMb (or the call's maxReplicaLagMb) to backfill without waiting for replicas",
        },
      )
    const worst = furthestBehind(reading)
    // A slot nobody reads is a replica that stopped: what the backfill writes piles up
    // on the primary's disk until its standby or subscriber is back.
    const slot = (await readInactiveSlots(look))[0]
    const limit = throttle.maxLagMb * MB
    const slotWorse =
      slot !== undefined && slot.retainedBytes > limit && slot.retainedBytes > (worst?.lagBytes ?? 0)
    if (!slotWorse && (worst === undefined || worst.lagBytes! <= limit)) return
    const waited = Date.now() - started
    const behind = slotWorse
      ? `replication slot ${slot.name} has nobody connected and keeps ${(slot.retainedBytes / MB).toFixed(1)} MB of WAL (limit ${throttle.maxLagMb} MB)`
      : `replica ${worst!.name} is ${(worst!.lagBytes! / MB).toFixed(1)} MB behind (limit ${throttle.maxLagMb} MB)`
    if (waited >= throttle.timeoutMs)
      throw new OperationFailedError(
        `backfill ${name} stopped: ${behind} after waiting ${formatDuration(waited)}; the rows done so far are committed and checkpointed`,
        {
          hint: slotWorse
            ? `bring its standby or subscriber back, or, if it is gone for good, drop the slot (SELECT pg_drop_replication_slot('${slot.name.replace(/'/g, "''")}')), then run the migration again: the backfill resumes where it stopped. Or raise backfill.maxReplicaLagMb or replicaLagTimeout`
            : 'find why the replica falls behind (on it: pg_stat_wal_receiver, replay paused or in conflict), then run the migration again: the backfill resumes where it stopped. Or raise backfill.maxReplicaLagMb or replicaLagTimeout',
        },
      )
    if (lastSaid === 0 || Date.now() - lastSaid >= 5000) {
      lastSaid = Date.now()
      onWait(`waiting: ${behind}`)
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}
