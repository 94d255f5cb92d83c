import { describeSavedData } from '../backup/saved-data.js'
import type { ResolvedConfig } from '../config/types.js'
import { withConnection } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { readVersionRows } from '../db/version-table.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { checkHealth } from '../health/health.js'
import type { BackfillProgress } from '../ops/backfill.js'
import type { MigrateOptions } from '../runner/migrate.js'
import type { StepEvent } from '../runner/run-plan.js'
import { runnerTables } from '../runner/tables.js'
import { sameRows } from '../runner/version-rows.js'
import { formatDuration } from '../util/duration.js'
import { plural } from '../util/plural.js'
import { type DeployBackup, restoreDeployBackup } from './deploy-backup.js'
import { revisionsText } from './production-log.js'
import { returnToRevisions } from './return-to-revisions.js'

export interface RollbackOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  readonly args?: Readonly<Record<string, string>>
  /** Where to go back to: the version table's rows before the deploy. */
  readonly toRows: readonly string[]
  /** Restored when the downgrade fails or cannot run. */
  readonly backup: DeployBackup | undefined
  /**
   * Back up what the downgrade destroys when it holds data (default true), as
   * `strata downgrade` does: rows the new release wrote into its tables and columns.
   */
  readonly backUpDestroyedData?: boolean
  /** Skip the downgrade and restore the backup at once (`strata rollback --restore`). */
  readonly restoreOnly?: boolean
  readonly onLine?: (line: string) => void
  readonly onStep?: (event: StepEvent) => void
  readonly onProgress?: (progress: BackfillProgress) => void
}

/** What a rollback did, step by step, for the report. */
export interface RollbackOutcome {
  /** The database is back where it was and healthy. */
  readonly ok: boolean
  readonly method: 'downgrade' | 'restore' | 'none'
  /** "Attempted rollback via strata downgrade ...: ...", one per action, in order. */
  readonly actions: readonly string[]
  readonly downgradeError: string | undefined
  readonly restoreError: string | undefined
  /** The backup of the data the downgrade destroyed, when it destroyed any. */
  readonly dataBackupId: string | undefined
  /** After a restore: the database as it was before the restore, kept under this name. */
  readonly keptAs: string | undefined
  /** The version table's rows at the end, as read from the database. */
  readonly rowsAfter: readonly string[] | undefined
}

/**
 * The guide's rollback workflow, done instead of described: downgrade to the revisions
 * before the deploy and check health; if the downgrade fails or is impossible (a missing
 * downgrade), restore the pre-deploy backup through the safe restore (restored and
 * checked in a copy, then swapped in; the damaged database is kept). Never throws for a
 * failed step: the outcome says what happened, for the report.
 */
export async function rollBack(options: RollbackOptions): Promise<RollbackOutcome> {
  const line = options.onLine ?? (() => undefined)
  const actions: string[] = []
  const target = revisionsText(options.toRows)
  let downgradeError: string | undefined
  let dataBackupId: string | undefined
  if (!options.restoreOnly) {
    line(`Rolling back: strata downgrade ${target}`)
    try {
      dataBackupId = await backUpDestroyedData(options)
      if (dataBackupId !== undefined)
        actions.push(
          `Backed up the data the downgrade destroys (written since the deploy) in ${describeSavedData(dataBackupId)}`,
        )
    } catch (error) {
      // Never lose data: a restore keeps the database as it is; without one, a person decides.
      downgradeError = (error as Error).message
      actions.push(`Did not downgrade: ${downgradeError}${hintOf(error)}`)
    }
  }
  if (!options.restoreOnly && downgradeError === undefined) {
    const started = performance.now()
    try {
      const migrateOptions: MigrateOptions = {
        config: options.config,
        spec: options.spec,
        migrations: options.migrations,
        args: options.args ?? {},
        ...(dataBackupId === undefined ? {} : { backupId: dataBackupId }),
        ...(options.onStep ? { onStep: options.onStep } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        onNotice: line,
      }
      const results = await returnToRevisions(migrateOptions, options.toRows)
      const reverted = results.flatMap((result) => result.steps.map((step) => step.revision))
      actions.push(
        `Attempted rollback via \`strata downgrade ${target}\`: succeeded, ${plural(reverted.length, 'migration')} reverted (${reverted.join(', ') || 'none'}) in ${formatDuration(Math.round(performance.now() - started))}`,
      )
      const health = await healthAt(options)
      actions.push(`Verified the rollback: ${health.summary}`)
      if (health.ok) return outcome(true, 'downgrade', undefined, undefined, options.toRows)
      downgradeError = `after the downgrade the health checks fail: ${health.summary}`
    } catch (error) {
      downgradeError = (error as Error).message
      actions.push(`Attempted rollback via \`strata downgrade ${target}\`: failed: ${downgradeError}`)
    }
  }
  if (downgradeError !== undefined) line(`Downgrade did not bring the database back: ${downgradeError}`)
  if (options.backup === undefined) {
    actions.push('No pre-deploy backup to restore: the database needs a person (see Root Cause)')
    return outcome(false, 'none', undefined, undefined, await currentRows(options).catch(() => undefined))
  }
  line(`Restoring the pre-deploy backup ${options.backup.id}`)
  try {
    const { keptAs } = await restoreDeployBackup(options.config, options.spec, options.backup, line)
    actions.push(
      `Restored the pre-deploy ${options.backup.kind === 'archive' ? 'backup' : 'server copy'} ${options.backup.id}: restored into a new database, checked, then swapped in; the database as it was before the restore is kept as ${keptAs} (writes made after the backup are there)`,
    )
    const rows = await currentRows(options)
    // A backup taken at another revision than the target is restored, but is not the rollback asked for.
    if (!options.restoreOnly && !sameRows(rows, options.toRows)) {
      const error = `the restored backup is at ${revisionsText(rows)}, not at ${revisionsText(options.toRows)}`
      actions.push(`Checked the restore: ${error}`)
      return outcome(false, 'restore', error, keptAs, rows)
    }
    const health = await healthAt({ ...options, toRows: rows })
    actions.push(`Verified the restore: ${health.summary}`)
    return outcome(health.ok, 'restore', undefined, keptAs, rows)
  } catch (error) {
    const restoreError = (error as Error).message
    actions.push(`Restore of ${options.backup.id} failed: ${restoreError}${hintOf(error)}`)
    return outcome(
      false,
      'restore',
      restoreError,
      undefined,
      await currentRows(options).catch(() => undefined),
    )
  }

  function outcome(
    ok: boolean,
    method: RollbackOutcome['method'],
    restoreError?: string,
    keptAs?: string,
    rowsAfter?: readonly string[],
  ): RollbackOutcome {
    return { ok, method, actions, downgradeError, dataBackupId, restoreError, keptAs, rowsAfter }
  }
}

/** The backup of what the downgrade destroys (see `backupDestroyedData`), unless turned off. */
async function backUpDestroyedData(options: RollbackOptions): Promise<string | undefined> {
  if (options.backUpDestroyedData === false) return undefined
  const { backupDestroyedData } = await import('../backup/backup-destroyed-data.js')
  return backupDestroyedData({
    direction: 'down',
    config: options.config,
    spec: options.spec,
    migrations: options.migrations,
    targets: options.toRows.length === 0 ? ['base'] : options.toRows,
    args: options.args ?? {},
    onProgress: options.onLine ?? (() => undefined),
    withoutBackup: 'roll back with `strata rollback --no-backup`',
  })
}

function hintOf(error: unknown): string {
  const hint = (error as { hint?: string }).hint
  return hint ? ` (${hint})` : ''
}

function currentRows(options: RollbackOptions): Promise<string[]> {
  return withConnection(options.spec, (connection) =>
    readVersionRows(connection.client, runnerTables(options.config).version),
  )
}

/**
 * Health at the rolled-back revisions. Only the database's checks decide whether the
 * rollback worked: an application endpoint that still fails is reported, but restoring
 * a backup (and setting aside every write since) cannot fix an application.
 */
async function healthAt(options: RollbackOptions): Promise<{ ok: boolean; summary: string }> {
  const report = await checkHealth({
    config: options.config,
    spec: options.spec,
    migrations: options.migrations,
    expectedRevisions: options.toRows,
  })
  const failed = report.checks.filter((check) => check.status === 'fail')
  const database = failed.filter((check) => !check.id.startsWith('endpoint:'))
  const describe = (checks: typeof failed) =>
    checks.map((check) => `${check.title}: ${check.summary}`).join('; ')
  if (database.length > 0) return { ok: false, summary: describe(database) }
  const passed = `at ${revisionsText(options.toRows)}, ${plural(report.checks.length - failed.length, 'health check')} passed`
  return {
    ok: true,
    summary:
      failed.length === 0
        ? passed
        : `${passed}; still failing (the application's, not the database's): ${describe(failed)}`,
  }
}
