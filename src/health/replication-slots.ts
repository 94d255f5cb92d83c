import type { Connection } from '../db/connect.js'
import { INSUFFICIENT_PRIVILEGE } from '../db/sqlstate.js'
import { prettySize } from '../diagnose/sizes.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'

/** A replication slot, as the health check reads it. */
export interface SlotFacts {
  readonly name: string
  /** `physical` or `logical`. */
  readonly type: string
  readonly active: boolean
  /** Bytes of WAL the server keeps for it (from its restart LSN); null before it reserved any. */
  readonly retainedBytes: number | null
  /** PostgreSQL 13+: `reserved`, `extended`, `unreserved` or `lost`. */
  readonly walStatus: string | null
}

/**
 * Past this (config `health.slotWalMegabytes`), an inactive slot's WAL is a warning: a
 * disk fills at the rate the server writes.
 */
export const SLOT_WARN_BYTES = 1024 ** 3

/**
 * Replication slots keep every WAL segment their consumer has not confirmed. A slot
 * whose standby or logical consumer went away keeps them forever: the classic way a
 * primary's disk fills and the server stops. Server-wide, so read on any database.
 */
export async function checkReplicationSlots(
  connection: Connection,
  warnBytes: number = SLOT_WARN_BYTES,
): Promise<CheckOutcome> {
  try {
    return classifySlots(await readReplicationSlots(connection), warnBytes)
  } catch (error) {
    // A role a managed service restricts: not a reason to fail a deploy's health check.
    if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw error
    return { status: 'ok', summary: `not checked: ${connection.spec.user} may not read the slots` }
  }
}

/** Every replication slot of the server with the WAL it keeps (also `strata diagnose replication`). */
export async function readReplicationSlots(connection: Connection): Promise<SlotFacts[]> {
  const walStatus = connection.serverVersionNum >= 130000 ? 'wal_status' : 'NULL::text'
  const { rows } = await connection.client.query<SlotFacts>(
    `SELECT slot_name AS name, slot_type AS type, active, ${walStatus} AS "walStatus",
            pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
                            restart_lsn)::float8 AS "retainedBytes"
       FROM pg_replication_slots ORDER BY slot_name`,
  )
  return rows
}

/** The check's verdict on the slots: warn for a lost slot or an inactive one past SLOT_WARN_BYTES. */
export function classifySlots(slots: readonly SlotFacts[], warnBytes = SLOT_WARN_BYTES): CheckOutcome {
  if (slots.length === 0) return { status: 'ok', summary: 'no replication slots' }
  const describe = (slot: SlotFacts) =>
    `${slot.type} slot ${slot.name} ${slot.active ? 'active' : 'inactive'}${slot.retainedBytes === null ? '' : `, holding ${prettySize(slot.retainedBytes)} of WAL`}${slot.walStatus === 'lost' ? ', its WAL already removed (lost)' : ''}`
  const alarming = slots.filter(
    (slot) => slot.walStatus === 'lost' || (!slot.active && (slot.retainedBytes ?? 0) >= warnBytes),
  )
  const inactive = slots.filter((slot) => !slot.active)
  if (alarming.length === 0) {
    return {
      status: 'ok',
      summary:
        inactive.length === 0
          ? `${plural(slots.length, 'replication slot')}, all active`
          : `${plural(slots.length, 'replication slot')}; inactive: ${inactive.map(describe).join('; ')}`,
    }
  }
  return {
    status: 'warn',
    summary: `${plural(alarming.length, 'replication slot')} ${alarming.length === 1 ? 'keeps' : 'keep'} WAL no consumer reads`,
    details: alarming.map(
      (slot) =>
        `${describe(slot)}: the server keeps its WAL until the disk fills. If its standby or subscriber is gone for good: SELECT pg_drop_replication_slot('${slot.name.replace(/'/g, "''")}')`,
    ),
  }
}
