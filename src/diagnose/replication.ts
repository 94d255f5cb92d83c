import type { Connection } from '../db/connect.js'
import { type ReplicaLag, readReplicaLag } from '../db/replica-lag.js'
import { INSUFFICIENT_PRIVILEGE } from '../db/sqlstate.js'
import { readReplicationSlots, type SlotFacts } from '../health/replication-slots.js'

/** On a standby: how far it is from its primary. */
export interface StandbyState {
  /** `pg_stat_wal_receiver.status` (`streaming`, ...), or undefined when no receiver runs (archive recovery). */
  readonly receiver: string | undefined
  readonly senderHost: string | undefined
  readonly replayPaused: boolean
  /** Bytes received and not yet applied. */
  readonly unappliedBytes: number | undefined
  /** Seconds since the last transaction it applied was committed on the primary (stale when the primary is idle). */
  readonly lastReplayedSecondsAgo: number | undefined
}

export interface ReplicationReport {
  readonly role: 'primary' | 'standby'
  readonly replicas: readonly ReplicaLag[]
  /** Replicas whose positions this role may not see. */
  readonly hiddenReplicas: number
  /** Undefined when the role may not read pg_replication_slots. */
  readonly slots: readonly SlotFacts[] | undefined
  readonly standby: StandbyState | undefined
}

/**
 * `strata diagnose replication`: the replicas streaming from this server with the WAL each
 * has yet to apply, the replication slots and the WAL they keep, and, on a standby, its
 * own distance from the primary and whether replay is paused.
 */
export async function readReplication(connection: Connection): Promise<ReplicationReport> {
  const { client } = connection
  const standby = (await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')).rows[0]!
    .standby
  const { replicas, hidden } = await readReplicaLag((sql) => client.query(sql))
  let slots: SlotFacts[] | undefined
  try {
    slots = await readReplicationSlots(connection)
  } catch (error) {
    if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw error
  }
  return {
    role: standby ? 'standby' : 'primary',
    replicas,
    hiddenReplicas: hidden,
    slots,
    standby: standby ? await readStandbyState(connection) : undefined,
  }
}

async function readStandbyState(connection: Connection): Promise<StandbyState> {
  const { rows } = await connection.client.query(
    `SELECT (SELECT status FROM pg_stat_wal_receiver) AS receiver,
            (SELECT sender_host FROM pg_stat_wal_receiver) AS sender_host,
            pg_is_wal_replay_paused() AS paused,
            pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS unapplied,
            extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS replayed_ago`,
  )
  const row = rows[0]
  return {
    receiver: row.receiver ?? undefined,
    senderHost: row.sender_host ?? undefined,
    replayPaused: row.paused,
    unappliedBytes: row.unapplied === null ? undefined : Number(row.unapplied),
    lastReplayedSecondsAgo: row.replayed_ago === null ? undefined : Number(row.replayed_ago),
  }
}
