import { furthestBehind, readReplicaLag } from '../db/replica-lag.js'
import { OperationFailedError } from '../errors/index.js'
import { formatDuration } from '../util/duration.js'
import type { SqlExecutor } from './sql-executor.js'

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
 * Waits until every replica is within `maxLagMb` of the primary. `onWait` gets a
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
    const reading = await readReplicaLag((sql) => executor.run(sql))
    if (reading.hidden > 0)
      throw new OperationFailedError(
        `backfill ${name}: maxReplicaLagMb is set, but this role cannot see how far ${reading.hidden === 1 ? 'the replica is' : `${reading.hidden} replicas are`} behind (pg_stat_replication shows positions only to superusers and pg_read_all_stats)`,
        {
          hint: "GRANT pg_monitor TO the migrating role, or remove backfill.maxReplicaLagMb (or the call's maxReplicaLagMb) to backfill without waiting for replicas",
        },
      )
    const worst = furthestBehind(reading)
    if (worst === undefined || worst.lagBytes! <= throttle.maxLagMb * MB) return
    const waited = Date.now() - started
    const behind = `replica ${worst.name} is ${(worst.lagBytes! / MB).toFixed(1)} MB behind (limit ${throttle.maxLagMb} MB)`
    if (waited >= throttle.timeoutMs)
      throw new OperationFailedError(
        `backfill ${name} stopped: ${behind} after waiting ${formatDuration(waited)}; the rows done so far are committed and checkpointed`,
        {
          hint: 'find why the replica falls behind (on it: pg_stat_wal_receiver, replay paused or in conflict), then run the migration again: the backfill resumes where it stopped. Or raise backfill.maxReplicaLagMb or replicaLagTimeout',
        },
      )
    if (lastSaid === 0 || Date.now() - lastSaid >= 5000) {
      lastSaid = Date.now()
      onWait(`waiting: ${behind}`)
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}
