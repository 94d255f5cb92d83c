import { findRestoreBackup } from '../backup/restore-source.js'
import type { ResolvedConfig } from '../config/types.js'
import { withConnection } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { type HistoryRow, readHistory } from '../db/history-table.js'
import { readVersionRows } from '../db/version-table.js'
import { InvalidInputError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { planDowngrade } from '../runner/plan.js'
import type { StepEvent } from '../runner/run-plan.js'
import { runnerTables } from '../runner/tables.js'
import { operatorName } from '../util/operator.js'
import type { DeployBackup } from './deploy-backup.js'
import { withDeployLock } from './deploy-lock.js'
import { databaseLabel, revisionsText } from './production-log.js'
import { recordRollback } from './record-rollback.js'
import { type RollbackOutcome, rollBack } from './rollback.js'

export interface ManualRollbackOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  /** A downgrade target (`-1`, a revision, `base`). Default `-1`, as the guide does. */
  readonly to?: string
  /**
   * The backup to restore: a catalog id, `latest`, an archive path, or a server copy's
   * database name. Alone, it restores at once; with `to`, it is the fallback when the
   * downgrade fails. Default fallback: the backup recorded with the last applied step.
   */
  readonly restore?: string
  /** Back up the data the downgrade destroys first (default true; `--no-backup`). */
  readonly backUpDestroyedData?: boolean
  /** Why, in the operator's words, for the report. */
  readonly reason?: string
  readonly args?: Readonly<Record<string, string>>
  readonly confirm?: (question: string) => Promise<boolean>
  readonly onLine?: (line: string) => void
  readonly onStep?: (event: StepEvent) => void
}

export interface ManualRollbackResult {
  readonly cancelled: boolean
  readonly fromRows: readonly string[]
  readonly toRows: readonly string[]
  readonly backup: DeployBackup | undefined
  readonly outcome: RollbackOutcome | undefined
  readonly reportPath: string | undefined
  readonly logLine: string | undefined
}

/**
 * `strata rollback`: the deploy's rollback path by hand, with the same report. The
 * target is checked before anything runs (an unknown revision is exit 2 with nothing
 * changed); the confirmation names what will happen. It holds the deploy lock: a
 * rollback waits for a running deploy (which rolls itself back when it fails) instead
 * of downgrading under it.
 */
export function rollbackByHand(options: ManualRollbackOptions): Promise<ManualRollbackResult> {
  return withDeployLock(
    options.config,
    options.spec,
    options.onLine ?? (() => undefined),
    () => rollbackHoldingLock(options),
    'a rollback',
  )
}

async function rollbackHoldingLock(options: ManualRollbackOptions): Promise<ManualRollbackResult> {
  const { config, spec, migrations } = options
  const line = options.onLine ?? (() => undefined)
  const tables = runnerTables(config)
  const { fromRows, history } = await withConnection(spec, async (connection) => ({
    fromRows: await readVersionRows(connection.client, tables.version),
    history: await readHistory(connection.client, tables.history),
  }))
  const restoreOnly = options.restore !== undefined && options.to === undefined
  const plan = restoreOnly ? undefined : planDowngrade(migrations.graph, fromRows, options.to ?? '-1')
  const toRows = plan?.rowsAfter ?? []
  const backupReference =
    options.restore ?? backupBefore(history, plan?.steps.map((step) => step.revision) ?? [])
  const backup =
    backupReference === undefined ? undefined : await resolveBackup(config, spec, backupReference)
  const what = restoreOnly
    ? `restore ${backup!.id} over ${spec.database}`
    : `downgrade ${spec.database} from ${revisionsText(fromRows)} to ${revisionsText(toRows)}${backup ? `, restoring ${backup.id} if the downgrade fails` : ''}`
  const none = { fromRows, toRows, backup, outcome: undefined, reportPath: undefined, logLine: undefined }
  if (options.confirm && !(await options.confirm(`Roll back: ${what}?`))) return { cancelled: true, ...none }

  const at = new Date()
  const started = performance.now()
  const outcome = await rollBack({
    config,
    spec,
    migrations,
    toRows,
    backup,
    restoreOnly,
    ...(options.backUpDestroyedData === undefined
      ? {}
      : { backUpDestroyedData: options.backUpDestroyedData }),
    onLine: line,
    ...(options.args ? { args: options.args } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
  })
  const operator = operatorName()
  const { reportPath, logLine } = await recordRollback(
    config,
    {
      at,
      database: databaseLabel(spec),
      operator,
      migrations: fromRows
        .filter((revision) => migrations.graph.has(revision))
        .map((revision) => ({ revision, file: migrations.graph.get(revision).file })),
      reason: options.reason ?? `rollback requested by ${operator}`,
      rootCause: options.reason ? [`given by the operator: ${options.reason}`] : [],
      fromRows: restoreOnly ? fromRows : toRows,
      timeline: [`Rollback started by ${operator}: ${what}`],
      outcome,
    },
    {
      action: 'rollback',
      from: fromRows,
      to: toRows,
      migrations: 0,
      phase: undefined,
      upgradeMs: undefined,
      totalMs: Math.round(performance.now() - started),
      backup: backup?.id,
      outcome: outcome.ok ? `rolled back by ${outcome.method}` : 'rollback FAILED',
    },
    line,
  )
  return { cancelled: false, fromRows, toRows, backup, outcome, reportPath, logLine }
}

/**
 * The backup that holds the database as it was before the first of `reverted` ran: the
 * one recorded with the earliest of their latest applications. A backup recorded with a
 * later step would bring back a later revision than the one asked for.
 */
function backupBefore(history: readonly HistoryRow[], reverted: readonly string[]): string | undefined {
  const latestUp = new Map<string, HistoryRow>()
  for (const row of history)
    if (row.direction === 'up' && row.outcome === 'success' && reverted.includes(row.revision))
      latestUp.set(row.revision, row)
  const first = [...latestUp.values()].sort((a, b) => a.id - b.id)[0]
  return first?.backupId ?? undefined
}

/** A catalog backup, or a server copy (`<db>_predeploy_<time>`) on the same server. */
async function resolveBackup(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  reference: string,
): Promise<DeployBackup> {
  if (reference.includes('_predeploy_')) {
    const exists = await withConnection(spec, async (connection) => {
      const { rows } = await connection.client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        reference,
      ])
      return rows.length > 0
    })
    if (!exists)
      throw new InvalidInputError(`server copy ${reference} does not exist on ${spec.host}:${spec.port}`, {
        hint: "SELECT datname FROM pg_database WHERE datname LIKE '%_predeploy_%' lists the copies",
      })
    return { kind: 'server-copy', id: reference }
  }
  // `latest`: the newest whole backup of this database, not a safety copy of one table.
  const { entry } = findRestoreBackup(reference, config.backup.directory, { database: spec.database })
  return { kind: 'archive', id: entry.manifest.id }
}
