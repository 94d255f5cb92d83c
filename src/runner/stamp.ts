import { recordHistory } from '../db/history-table.js'
import { applyVersionChange, qualified, readVersionRows } from '../db/version-table.js'
import { UsageError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { STRATA_VERSION } from '../version.js'
import { ensureStateTables, type MigrateOptions, withMigrationLock } from './migrate.js'
import { stampRows } from './stamp-rows.js'
import { appliedFromRows, type VersionChange, versionChanges } from './version-rows.js'

export interface StampResult {
  readonly rowsBefore: readonly string[]
  readonly rowsAfter: readonly string[]
  readonly changes: readonly VersionChange[]
}

/**
 * Sets the version table to `targets` without running any migration: for a database
 * whose schema was changed by hand (the guide's "Failed Partial Migration"). Branches
 * unrelated to the targets keep their rows. `purge` first empties the table, which
 * also clears revisions no migration file defines.
 *
 * @example await stamp({ config, spec }, ['head-1'])
 */
export async function stamp(
  options: MigrateOptions & { migrations: MigrationSet },
  targets: readonly string[],
  purge = false,
): Promise<StampResult> {
  if (targets.length === 0)
    throw new UsageError('stamp needs at least one revision', { hint: 'e.g. `strata stamp head`' })
  const { graph } = options.migrations
  return withMigrationLock(options, async (connection, tables, lock) => {
    const stored = await readVersionRows(connection.client, tables.version)
    const rowsBefore = purge ? [] : stored
    const applied = appliedFromRows(graph, rowsBefore)
    const rowsAfter = stampRows(graph, rowsBefore, targets)
    const changes = versionChanges(rowsBefore, rowsAfter)
    await ensureStateTables(connection, tables, lock)
    await connection.client.query('BEGIN')
    try {
      if (purge) await connection.client.query(`DELETE FROM ${qualified(tables.version)}`)
      for (const change of changes) await applyVersionChange(connection.client, change, tables.version)
      const now = new Date()
      for (const revision of rowsAfter.filter((row) => !applied.has(row) || !rowsBefore.includes(row))) {
        await recordHistory(connection.client, tables.history, {
          revision,
          direction: 'stamp',
          startedAt: now,
          finishedAt: now,
          outcome: 'success',
          toolVersion: STRATA_VERSION,
          checksum: graph.get(revision).checksum,
          message: graph.get(revision).message,
        })
      }
      // A stamp that empties the table is recorded too: the audit trail shows who set
      // the database back to base, and from where.
      if (rowsAfter.length === 0 && stored.length > 0) {
        await recordHistory(connection.client, tables.history, {
          revision: 'base',
          direction: 'stamp',
          startedAt: now,
          finishedAt: now,
          outcome: 'success',
          toolVersion: STRATA_VERSION,
          message: `stamped off ${stored.join(', ')}`,
        })
      }
      await connection.client.query('COMMIT')
    } catch (error) {
      await connection.client.query('ROLLBACK').catch(() => undefined)
      throw error
    }
    return { rowsBefore: stored, rowsAfter, changes }
  })
}
