import { recordHistory } from '../db/history-table.js'
import { applyVersionChange, qualified, readVersionRows } from '../db/version-table.js'
import { UsageError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { ensureStateTables, type MigrateOptions, withMigrationLock } from './migrate.js'
import { stampRecords, stampRows } from './stamp-rows.js'
import { type VersionChange, versionChanges } from './version-rows.js'

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
    const rowsAfter = stampRows(graph, rowsBefore, targets)
    const changes = versionChanges(rowsBefore, rowsAfter)
    await ensureStateTables(connection, tables, lock)
    await connection.client.query('BEGIN')
    try {
      if (purge) await connection.client.query(`DELETE FROM ${qualified(tables.version)}`)
      for (const change of changes) await applyVersionChange(connection.client, change, tables.version)
      const now = new Date()
      for (const record of stampRecords(graph, rowsBefore, rowsAfter, stored))
        await recordHistory(connection.client, tables.history, { ...record, startedAt: now, finishedAt: now })
      await connection.client.query('COMMIT')
    } catch (error) {
      await connection.client.query('ROLLBACK').catch(() => undefined)
      throw error
    }
    return { rowsBefore: stored, rowsAfter, changes }
  })
}
