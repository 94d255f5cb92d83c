import { SAVED_SCHEMA } from '../backup/saved-data.js'
import type { ResolvedConfig } from '../config/types.js'
import { withConnection } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { limitReadLockWaits } from '../db/read-lock-waits.js'
import { managedSchemas } from '../health/managed-schemas.js'
import { type ActivityReport, readActivity } from './activity.js'
import { type BlockingReport, readBlocking } from './blocking.js'
import { type IndexReport, readIndexUsage } from './index-usage.js'
import { type LockRow, readLocks } from './locks.js'
import { type ReplicationReport, readReplication } from './replication.js'
import { readSizes, type SizeReport } from './sizes.js'
import { readSlowQueries, type SlowQueryReport } from './slow-queries.js'

/** The topics of `strata diagnose`, in the order `all` shows them. */
export const TOPICS = ['blocking', 'locks', 'activity', 'sizes', 'indexes', 'slow', 'replication'] as const
export type Topic = (typeof TOPICS)[number]

/** Everything `diagnose` found; a topic not asked for is absent. */
export interface Diagnosis {
  blocking?: BlockingReport
  locks?: { table: string | undefined; locks: LockRow[] }
  activity?: ActivityReport
  sizes?: SizeReport
  indexes?: IndexReport
  slow?: SlowQueryReport
  replication?: ReplicationReport
}

export interface DiagnoseOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  /** `locks`: only this table. */
  readonly table?: string
  /** `sizes` and `slow`: how many rows. Default 20 and 10. */
  readonly limit?: number
}

/**
 * Reads one topic (or all of them) on one connection. Reads only: nothing here
 * changes the database or takes a lock another session could wait for, and sizes are
 * read without waiting behind an ACCESS EXCLUSIVE lock (src/db/relation-size.ts).
 *
 * @example const { blocking } = await diagnose({ config, spec }, ['blocking'])
 */
export async function diagnose(options: DiagnoseOptions, topics: readonly Topic[]): Promise<Diagnosis> {
  return withConnection(options.spec, async (connection) => {
    const { client, serverVersionNum } = connection
    await limitReadLockWaits(client)
    const { schemas } = await managedSchemas(client, options.config.health.schemas)
    const found: Diagnosis = {}
    for (const topic of topics) {
      switch (topic) {
        case 'blocking':
          found.blocking = await readBlocking(client, serverVersionNum)
          break
        case 'locks':
          found.locks = await readLocks(client, serverVersionNum, options.table)
          break
        case 'activity':
          found.activity = await readActivity(client, options.config.health.longRunningSeconds)
          break
        case 'sizes':
          // With the copies a downgrade kept: they take disk like any table.
          found.sizes = await readSizes(client, [...schemas, SAVED_SCHEMA], options.limit ?? 20)
          break
        case 'indexes':
          found.indexes = await readIndexUsage(client, schemas)
          break
        case 'slow':
          found.slow = await readSlowQueries(client, serverVersionNum, options.limit ?? 10)
          break
        case 'replication':
          found.replication = await readReplication(connection)
          break
      }
    }
    return found
  })
}
