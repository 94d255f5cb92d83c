import { checkMigrations } from '../../analysis/check.js'
import { throwIfUnreadable } from '../../analysis/unreadable-migration.js'
import type { ResolvedConfig } from '../../config/types.js'
import { type Connection, connect } from '../../db/connect.js'
import type { ConnectionSpec } from '../../db/connection-spec.js'
import { readVersionRows } from '../../db/version-table.js'
import { StrataError } from '../../errors/index.js'
import { requireRunnable } from '../../graph/alembic-migration-file.js'
import type { MigrationSet } from '../../graph/load-migrations.js'
import { type CheckOutcome, type CheckResult, runCheck } from '../../health/check-result.js'
import { checkHealth } from '../../health/health.js'
import { type DeployPhase, heldNote, limitToPhase } from '../../runner/phase.js'
import { type PlanStep, planUpgrade } from '../../runner/plan.js'
import { runnerTables } from '../../runner/tables.js'
import { plural } from '../../util/plural.js'
import { type BackupPlan, planDeployBackup } from '../deploy-backup.js'
import { revisionsText } from '../production-log.js'
import { rehearse } from './rehearsal.js'
import { lockHoldersOutcome, safetyOutcome } from './safety-findings.js'

export interface PreflightOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  readonly target: string
  readonly phase: DeployPhase
  /** Findings accepted on the command line, added to `deploy.acknowledge`. */
  readonly acknowledge: readonly string[]
  readonly args?: Readonly<Record<string, string>>
}

/** The checklist's verdict and what the deploy will do. */
export interface Preflight {
  /** No item failed. */
  readonly ok: boolean
  readonly checks: readonly CheckResult[]
  readonly fromRows: readonly string[]
  /** The migrations the deploy applies, in order. */
  readonly steps: readonly PlanStep[]
  /** Pending migrations the phase leaves for later. */
  readonly held: readonly PlanStep[]
  /** Migrations that need downtime (the maintenance hooks run around them): `rev: reason`. */
  readonly downtime: readonly string[]
  readonly backupPlan: BackupPlan | undefined
}

/**
 * The guide's pre-migration checklist, each item checked instead of asked: the database
 * answers and is healthy, one head, what will run, `strata check` clean or acknowledged,
 * a downgrade for every migration, an up → down → up rehearsal on a scratch database, no
 * long transaction holding locks on the tables to change, and a backup that can be taken.
 * Reads only; the rehearsal's scratch database is dropped before it returns.
 */
export async function runPreflight(
  options: PreflightOptions,
  onCheck: (check: CheckResult) => void = () => undefined,
): Promise<Preflight> {
  const checks: CheckResult[] = []
  const record = async (id: string, title: string, body: () => Promise<CheckOutcome>) => {
    const result = await runCheck(id, title, body)
    checks.push(result)
    onCheck(result)
    return result
  }
  // The verdict follows from the checks; what was not reached stays empty.
  const conclude = (found: Partial<Omit<Preflight, 'ok' | 'checks'>>): Preflight => ({
    ok: checks.every((check) => check.status !== 'fail'),
    checks,
    fromRows: [],
    steps: [],
    held: [],
    downtime: [],
    backupPlan: undefined,
    ...found,
  })

  let connection: Connection
  try {
    connection = await connect(options.spec)
  } catch (error) {
    const hint = error instanceof StrataError && error.hint ? ` (${error.hint})` : ''
    await record('connection', 'Database reachable and healthy', async () => ({
      status: 'fail',
      summary: `${(error as Error).message}${hint}`,
    }))
    return conclude({})
  }
  let closed = false
  try {
    const { config, migrations } = options
    await record('connection', 'Database reachable and healthy', () => healthOutcome(options))
    const fromRows = await readVersionRows(connection.client, runnerTables(config).version)
    const heads = migrations.graph.heads
    const single = await record('single-head', 'One head', async () =>
      heads.length <= 1
        ? { status: 'ok', summary: heads.length === 0 ? 'no migrations yet' : `head ${heads[0]}` }
        : {
            status: 'fail',
            summary: `${heads.length} heads: ${heads.join(', ')}`,
            details: [`merge them first: strata merge -m "merge heads" ${heads.join(' ')}`],
          },
    )
    if (single.status === 'fail' && options.target === 'head') return conclude({ fromRows })

    const { plan, held } = limitToPhase(
      planUpgrade(migrations.graph, fromRows, options.target),
      options.phase,
    )
    const steps = plan.steps
    requireRunnable(steps, 'up') // Alembic migrations pending: exit 2, nothing changed
    await record('pending', 'Migrations to deploy', async () => ({
      status: 'ok',
      summary:
        steps.length === 0
          ? (plan.note ?? 'nothing to deploy')
          : `${plural(steps.length, 'migration')} (phase ${options.phase}): ${revisionsText(fromRows)} → ${steps.map((step) => step.revision).join(' → ')}`,
      details: [
        ...steps.map(
          (step) =>
            `${step.revision}${step.meta.message ? ` ${step.meta.message}` : ''}${step.meta.phase ? ` [${step.meta.phase}]` : ''}`,
        ),
        ...(held.length > 0 && steps.length > 0 ? [heldNote(held)] : []),
      ],
    }))
    if (steps.length === 0) return conclude({ fromRows, held })

    const report = await checkMigrations({
      config,
      client: connection.client,
      revisions: steps.map((step) => step.revision),
      ...(options.args ? { args: options.args } : {}),
    })
    throwIfUnreadable(report.unreadable)
    await record('safety', 'Safety check clean', async () =>
      safetyOutcome(report, [...config.deploy.acknowledge, ...options.acknowledge]),
    )
    const downgrades = await record('downgrades', 'Every migration has a downgrade', async () => {
      const missing = steps.filter((step) => !step.meta.hasDowngrade)
      return missing.length === 0
        ? { status: 'ok', summary: `${plural(steps.length, 'downgrade')} present` }
        : {
            status: 'fail',
            summary: `${plural(missing.length, 'migration')} cannot be rolled back by a downgrade`,
            details: missing.map(
              (step) =>
                `${step.revision} (${step.meta.file}): write its downgrade, so a failed deploy can be undone in place`,
            ),
          }
    })
    await record('lock-holders', 'No long transactions on the tables to change', async () =>
      lockHoldersOutcome(report, config.check.longTransactionSeconds),
    )
    let backupPlan: BackupPlan | undefined
    await record('backup', 'Backup can be taken', async () => {
      backupPlan = await planDeployBackup(config, connection)
      const details = backupPlan.caveat === undefined ? [] : [backupPlan.caveat]
      if (backupPlan.kind === 'none') return { status: 'fail', summary: backupPlan.evidence, details }
      return { status: details.length === 0 ? 'ok' : 'warn', summary: backupPlan.evidence, details }
    })
    const downtime = report.migrations
      // A contract migration's breaking change needs none (the release no longer uses what
      // it removes): check classifies it so; a rewrite of a big table under it still does.
      .filter((m) => m.classification.downtime === 'required')
      .map((m) => `${m.revision}: ${m.classification.reason}`)
    // Last, and with this connection closed: copying the database needs it to have no sessions.
    await connection.close()
    closed = true
    await record('rehearsal', 'Up → down → up rehearsal', async () =>
      downgrades.status === 'fail'
        ? { status: 'skip', summary: 'not rehearsed: a migration has no downgrade' }
        : rehearse({ ...options, fromRows }),
    )
    return conclude({ fromRows, steps, held, downtime, backupPlan })
  } finally {
    if (!closed) await connection.close()
  }
}

/** The health checks, except "at head" (a deploy starts behind by definition). */
async function healthOutcome(options: PreflightOptions): Promise<CheckOutcome> {
  const report = await checkHealth({
    config: options.config,
    spec: options.spec,
    migrations: options.migrations,
  })
  const relevant = report.checks.filter((check) => check.id !== 'at-head')
  const failed = relevant.filter((check) => check.status === 'fail')
  const warned = relevant.filter((check) => check.status === 'warn')
  const version = relevant.find((check) => check.id === 'server-version')?.summary ?? ''
  const details = [...failed, ...warned].map((check) => `${check.title}: ${check.summary}`)
  if (failed.length > 0)
    return { status: 'fail', summary: `${plural(failed.length, 'health check')} failed`, details }
  return {
    status: warned.length > 0 ? 'warn' : 'ok',
    summary: `${version}; ${plural(relevant.length - warned.length, 'check')} passed${warned.length > 0 ? `, ${warned.length} to look at` : ''}`,
    details,
  }
}
