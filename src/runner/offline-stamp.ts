import type { ResolvedConfig } from '../config/types.js'
import { migrationLockKey } from '../db/advisory-lock.js'
import { recordStepSql } from '../db/record-step.js'
import { qualified } from '../db/version-table.js'
import { UsageError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { parseRange } from '../graph/target-syntax.js'
import { STRATA_VERSION } from '../version.js'
import { startingRows, stateTablesSql } from './offline-script.js'
import { stampRecords, stampRows } from './stamp-rows.js'
import { runnerTables } from './tables.js'
import { versionChanges } from './version-rows.js'

export interface OfflineStampOptions {
  readonly config: ResolvedConfig
  readonly migrations: MigrationSet
  /** Targets as online (`head`, `abc123`, ...), or one `FROM:TO` naming where the database is. */
  readonly targets: readonly string[]
  readonly purge?: boolean
}

/**
 * The SQL of `strata stamp` for a database Strata cannot reach (a DBA runs it, as
 * Alembic's `stamp --sql`): the version-table changes and history rows, in one
 * transaction. The script starts from FROM (default base): each UPDATE or DELETE must
 * find its row, so run against a database that is not at FROM it stops, changing
 * nothing. `purge` empties the table first, whatever it holds.
 */
export function renderOfflineStamp(options: OfflineStampOptions): {
  script: string
  rowsBefore: string[]
  rowsAfter: string[]
} {
  const { graph } = options.migrations
  const ranged = options.targets.length === 1 && options.targets[0]!.includes(':')
  const { from, to } = ranged ? parseRange(options.targets[0]!) : { from: undefined, to: undefined }
  if (ranged && to === undefined)
    throw new UsageError(`${options.targets[0]} names no revision to stamp`, {
      hint: 'write FROM:TO, e.g. `strata stamp abc123:head --sql`',
    })
  if (ranged && from !== undefined && options.purge)
    throw new UsageError('--purge empties the version table whatever it holds: a FROM is not needed', {
      hint: `write \`strata stamp ${to} --sql --purge\``,
    })
  const rowsBefore = from === undefined ? [] : startingRows(options.migrations, from)
  const rowsAfter = stampRows(graph, rowsBefore, ranged ? [to!] : options.targets)
  const tables = runnerTables(options.config)
  const lockKey = migrationLockKey(tables.version)
  const changes = versionChanges(rowsBefore, rowsAfter)
  const records = stampRecords(graph, rowsBefore, rowsAfter)
  const describe = (rows: readonly string[]) => (rows.length === 0 ? 'base' : rows.join(', '))
  const out = [
    `-- Strata ${STRATA_VERSION} offline stamp: ${options.purge ? 'anything (--purge)' : describe(rowsBefore)} -> ${describe(rowsAfter)} (no migration runs)`,
    '-- Run with: psql -v ON_ERROR_STOP=1 -f <this file>',
    `SELECT pg_advisory_lock(${lockKey});`,
    '',
    'BEGIN;',
    ...stateTablesSql(tables),
    ...(options.purge ? [`DELETE FROM ${qualified(tables.version)};`] : []),
    // The version changes travel with the first record, whose outcome is NULL (refused
    // by the history table) when a row they change is not there.
    ...records.map(
      (record, index) => `${recordStepSql(tables, index === 0 ? changes : [], record, 'message')};`,
    ),
    'COMMIT;',
    `SELECT pg_advisory_unlock(${lockKey});`,
    '',
  ]
  return { script: out.join('\n'), rowsBefore, rowsAfter }
}
