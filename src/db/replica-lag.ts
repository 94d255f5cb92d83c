/**
 * How far behind the primary each replica is, from `pg_stat_replication`: streaming
 * standbys and logical subscribers (a CDC pipeline's walsender appears there too).
 * Measured in bytes of WAL the replica has not yet replayed (or, for a logical one,
 * confirmed), the distance the primary can see for itself. `replay_lag`, the time
 * column, is not used: it is the delay of the last WAL the replica did apply, so a
 * replica that stopped applying keeps showing its last small value.
 */
export interface ReplicaLag {
  /** `application_name` of the walsender (a standby's cluster_name or `walreceiver`), and its address. */
  readonly name: string
  readonly state: string
  /** `async`, `sync`, `quorum` or `potential`: its part in synchronous replication. */
  readonly syncState: string
  /** Undefined while the replica has not reported a replay position yet. */
  readonly lagBytes: number | undefined
}

export interface ReplicaLagReading {
  readonly replicas: readonly ReplicaLag[]
  /**
   * Replicas whose positions this role may not see: `pg_stat_replication` shows them
   * only to superusers and members of pg_read_all_stats (pg_monitor).
   */
  readonly hidden: number
}

type RunQuery = (sql: string) => Promise<{ rows: Record<string, unknown>[] } | undefined>

/** Every replica of this server with its lag; none on a server without replicas. */
export async function readReplicaLag(run: RunQuery): Promise<ReplicaLagReading> {
  const result = await run(REPLICA_LAG_SQL)
  const replicas: ReplicaLag[] = []
  let hidden = 0
  for (const row of result?.rows ?? []) {
    if (row.state === null) {
      hidden += 1
      continue
    }
    // A base backup's walsender streams no replica's WAL.
    if (row.state === 'backup') continue
    replicas.push({
      name: String(row.name),
      state: String(row.state),
      syncState: String(row.sync_state),
      lagBytes: row.lag_bytes === null ? undefined : Number(row.lag_bytes),
    })
  }
  return { replicas, hidden }
}

/** The replica furthest behind, or undefined when none lags (or there are none). */
export function furthestBehind(reading: ReplicaLagReading): ReplicaLag | undefined {
  let worst: ReplicaLag | undefined
  for (const replica of reading.replicas)
    if (replica.lagBytes !== undefined && (worst === undefined || replica.lagBytes > worst.lagBytes!))
      worst = replica
  return worst
}

/**
 * The offline backfill's wait loop: the furthest a replica is behind, counting a
 * replication slot with nobody connected as a replica that stopped where its slot is.
 */
export const MAX_REPLICA_LAG_SQL =
  "SELECT max(lag) FROM (SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS lag FROM pg_stat_replication WHERE state IS DISTINCT FROM 'backup' UNION ALL SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) FROM pg_replication_slots WHERE NOT active AND restart_lsn IS NOT NULL) AS lags"

/**
 * A replication slot with nobody connected: its standby or subscriber is away (a
 * restart, a network cut, or gone for good), and the server keeps every WAL segment
 * written since it left. It is behind by that WAL, and a backfill writes more of it.
 */
export interface InactiveSlot {
  readonly name: string
  /** Bytes of WAL kept for it, from its restart position. */
  readonly retainedBytes: number
}

/**
 * The inactive slots that keep WAL. `pg_replication_slots` is readable by every role;
 * a slot already invalidated (PostgreSQL 13+'s max_slot_wal_keep_size) keeps none and
 * has no restart position.
 */
export async function readInactiveSlots(run: RunQuery): Promise<InactiveSlot[]> {
  const result =
    await run(`SELECT slot_name AS name, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 AS retained
  FROM pg_replication_slots
 WHERE NOT active AND restart_lsn IS NOT NULL AND NOT pg_is_in_recovery()
 ORDER BY 2 DESC`)
  return (result?.rows ?? []).map((row) => ({ name: String(row.name), retainedBytes: Number(row.retained) }))
}

const REPLICA_LAG_SQL = `SELECT coalesce(nullif(application_name, ''), 'walreceiver')
         || coalesce(' (' || host(client_addr) || ')', '') AS name,
       state, sync_state,
       CASE WHEN pg_is_in_recovery() OR replay_lsn IS NULL THEN NULL
            ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 END AS lag_bytes
  FROM pg_stat_replication
 ORDER BY 1`
