import type { ResolvedConfig } from '../config/types.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { describeError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { CheckReport, CheckResult } from '../health/check-result.js'
import { checkHealth } from '../health/health.js'
import { verifyDatabase } from '../health/verify.js'
import type { BackfillProgress } from '../ops/backfill.js'
import { type MigrateResult, upgrade } from '../runner/migrate.js'
import type { DeployPhase } from '../runner/phase.js'
import type { StepEvent } from '../runner/run-plan.js'
import { displayPath } from '../util/display-path.js'
import { formatDuration } from '../util/duration.js'
import { maskSecrets } from '../util/mask-secrets.js'
import { operatorName } from '../util/operator.js'
import { plural } from '../util/plural.js'
import { type DeployBackup, takeDeployBackup } from './deploy-backup.js'
import { noteRunningDeploy, withDeployLock } from './deploy-lock.js'
import { runMaintenanceHook } from './maintenance.js'
import { notifyTeam, withoutTimestamp } from './notify-team.js'
import { type Preflight, runPreflight } from './preflight/preflight.js'
import { requireKnownAcknowledgements } from './preflight/safety-findings.js'
import { appendProductionLog, databaseLabel, revisionsText } from './production-log.js'
import { recordRollback } from './record-rollback.js'
import { type RollbackOutcome, rollBack } from './rollback.js'
import { serverCopyCleanup } from './server-copy-cleanup.js'
import { watchHealth } from './watch.js'

export interface DeployOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  /** Default `head`. */
  readonly target?: string
  /** Default `expand`. */
  readonly phase?: DeployPhase
  /** `strata check` findings accepted for this deploy (rule or REVISION:rule). */
  readonly acknowledge?: readonly string[]
  readonly args?: Readonly<Record<string, string>>
  /** Milliseconds of health polling after the deploy; failures roll back. */
  readonly watchMs?: number
  /**
   * Lets the watch window take the first interruption over (the CLI's takeOverInterrupt):
   * it then ends early and the deploy stands, logged. Returns a function giving it back.
   */
  readonly takeOverInterrupt?: (handler: () => void) => () => void
  /**
   * Only the preflight (its rehearsal runs on a scratch database): what the deploy would
   * apply, with which backup and downtime, and nothing backed up, changed or announced.
   */
  readonly dryRun?: boolean
  /** Asked once after the preflight passed; no function means yes. */
  readonly confirm?: (question: string) => Promise<boolean>
  readonly onCheck?: (check: CheckResult) => void
  /** Workflow lines, as the guide prints them (the caller adds timestamps). */
  readonly onLine?: (line: string) => void
  readonly onStep?: (event: StepEvent) => void
  readonly onProgress?: (progress: BackfillProgress) => void
}

export type DeployOutcome =
  | 'deployed'
  | 'nothing-to-deploy'
  | 'preflight-failed'
  | 'cancelled'
  | 'backup-failed'
  | 'rolled-back'
  | 'rollback-failed'
  /** `dryRun`: the preflight passed; nothing was backed up or changed. */
  | 'dry-run'

export interface DeployResult {
  readonly outcome: DeployOutcome
  readonly database: string
  readonly phase: DeployPhase
  readonly preflight: Preflight
  readonly fromRows: readonly string[]
  /** The version table's rows at the end. */
  readonly toRows: readonly string[]
  readonly backup: DeployBackup | undefined
  readonly upgrade: MigrateResult | undefined
  readonly verify: CheckReport | undefined
  readonly health: CheckReport | undefined
  /** Why the deploy rolled back. */
  readonly failure: string | undefined
  readonly rollback: RollbackOutcome | undefined
  readonly reportPath: string | undefined
  readonly logLine: string | undefined
  readonly upgradeMs: number | undefined
  readonly totalMs: number
}

/** A failure after the database changed: what it was, and the real error text. */
interface Failure {
  readonly reason: string
  readonly rootCause: readonly string[]
}

/**
 * `strata deploy`: the guide's production workflow as one command that checks every
 * item instead of asking about it. Preflight (nothing changes if it fails) → confirm →
 * backup → maintenance hook when a migration needs downtime → upgrade → verify and
 * health → production log → optional watch window. If the upgrade, verify, health or
 * watch fails, it rolls back (downgrade, else restore of the backup just taken), writes
 * `rollback_<time>.md`, and reports `rolled-back`: the database is never left worse.
 * Two deploys (or a deploy and `strata rollback`) of one database take turns: the whole
 * deploy holds the deploy lock, and the second waits for it, saying who holds it. A dry
 * run changes nothing, so it takes no turn: it says when a deploy is running instead.
 *
 * @example
 * const result = await deploy({ config, spec, migrations, phase: 'expand' })
 * if (result.outcome !== 'deployed' && result.outcome !== 'nothing-to-deploy') process.exitCode = 1
 */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  requireKnownAcknowledgements(
    [
      ...options.config.deploy.acknowledge.map((entry) => ({ entry, from: 'config' as const })),
      ...(options.acknowledge ?? []).map((entry) => ({ entry, from: 'flag' as const })),
    ],
    options.migrations.graph,
  )
  if (options.dryRun) {
    await noteRunningDeploy(options.config, options.spec, options.onLine ?? (() => undefined))
    return deployHoldingLock(options)
  }
  return withDeployLock(options.config, options.spec, options.onLine ?? (() => undefined), () =>
    deployHoldingLock(options),
  )
}

async function deployHoldingLock(options: DeployOptions): Promise<DeployResult> {
  const started = performance.now()
  const { config, spec, migrations } = options
  const phase = options.phase ?? 'expand'
  const target = options.target ?? 'head'
  const line = options.onLine ?? (() => undefined)
  const operator = operatorName()
  const database = databaseLabel(spec)
  const at = new Date()

  const preflight = await runPreflight(
    {
      config,
      spec,
      migrations,
      target,
      phase,
      acknowledge: options.acknowledge ?? [],
      ...(options.args ? { args: options.args } : {}),
    },
    options.onCheck,
  )
  const base = {
    database,
    phase,
    preflight,
    fromRows: preflight.fromRows,
    toRows: preflight.fromRows,
    backup: undefined,
    upgrade: undefined,
    verify: undefined,
    health: undefined,
    failure: undefined,
    rollback: undefined,
    reportPath: undefined,
    logLine: undefined,
    upgradeMs: undefined,
  }
  const finish = (fields: Partial<DeployResult> & { outcome: DeployOutcome }): DeployResult => ({
    ...base,
    ...fields,
    totalMs: Math.round(performance.now() - started),
  })
  if (!preflight.ok) return finish({ outcome: 'preflight-failed' })
  if (preflight.steps.length === 0) return finish({ outcome: 'nothing-to-deploy' })
  if (options.dryRun) return finish({ outcome: 'dry-run', toRows: preflight.steps.at(-1)!.rowsAfter })

  const steps = preflight.steps
  const expected = steps.at(-1)!.rowsAfter
  if (options.confirm) {
    const question = `Deploy ${plural(steps.length, 'migration')} to ${database} (phase ${phase}): ${revisionsText(preflight.fromRows)} → ${revisionsText(expected)}?`
    if (!(await options.confirm(question))) return finish({ outcome: 'cancelled' })
  }
  line(`Starting production migration of ${database} by ${operator}`)
  const notice = { action: 'deploy', database, operator, from: preflight.fromRows } as const
  await notifyTeam(
    config,
    {
      ...notice,
      event: 'started',
      to: expected,
      text: `Deploy of ${database} started by ${operator}: ${revisionsText(preflight.fromRows)} -> ${revisionsText(expected)} (${plural(steps.length, 'migration')}, phase ${phase})`,
    },
    line,
  )

  // Integrity problems that were there before the deploy are not the deploy's fault.
  const before = await verifyDatabase({
    config,
    spec,
    migrations,
    ...(options.args ? { args: options.args } : {}),
  })
  const failingBefore = new Set(before.checks.filter((c) => c.status === 'fail').map((c) => c.id))

  let backup: DeployBackup
  try {
    backup = await takeDeployBackup(config, spec, preflight.backupPlan!, line)
  } catch (error) {
    line(`Backup failed: ${(error as Error).message}; nothing was changed`)
    await notifyTeam(
      config,
      {
        ...notice,
        event: 'backup-failed',
        to: preflight.fromRows,
        text: `Deploy of ${database} by ${operator} stopped: the backup failed (${maskSecrets((error as Error).message.split('\n')[0]!)}); nothing was changed`,
      },
      line,
    )
    return finish({ outcome: 'backup-failed', failure: describeError(error).join(' ') })
  }
  const timeline: string[] = [
    `Deploy started by ${operator}, phase ${phase}: ${revisionsText(preflight.fromRows)} → ${revisionsText(expected)} (${plural(steps.length, 'migration')}); preflight passed`,
    `Backup ${backup.id} taken${backup.kind === 'archive' ? ' and verified' : ' (server copy)'}`,
  ]

  let failure: Failure | undefined
  let upgradeResult: MigrateResult | undefined
  let upgradeMs: number | undefined
  let verify: CheckReport | undefined
  let health: CheckReport | undefined
  const maintenance = preflight.downtime.length > 0
  if (maintenance) {
    line(`Downtime needed (${preflight.downtime.join('; ')}): stopping services`)
    await runMaintenanceHook(config, 'stopServices', line)
  }
  try {
    line(`Applying ${plural(steps.length, 'migration')}`)
    const upgradeStarted = performance.now()
    try {
      upgradeResult = await upgrade(
        {
          config,
          spec,
          migrations,
          phase,
          backupId: backup.id,
          args: options.args ?? {},
          onNotice: line,
          ...(options.onStep ? { onStep: options.onStep } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        },
        target,
      )
      upgradeMs = Math.round(performance.now() - upgradeStarted)
      timeline.push(
        `Upgrade applied ${plural(upgradeResult.steps.length, 'migration')} in ${formatDuration(upgradeMs)}`,
      )
    } catch (error) {
      upgradeMs = Math.round(performance.now() - upgradeStarted)
      failure = {
        reason: `the upgrade failed: ${(error as Error).message.split('\n')[0]}`,
        rootCause: describeError(error),
      }
      timeline.push(
        `Upgrade failed after ${formatDuration(upgradeMs)}: ${(error as Error).message.split('\n')[0]}`,
      )
    }
  } finally {
    if (maintenance) await runMaintenanceHook(config, 'startServices', line)
  }

  if (failure === undefined) {
    line('Running health checks...')
    verify = await verifyDatabase({
      config,
      spec,
      migrations,
      ...(options.args ? { args: options.args } : {}),
    })
    health = await checkHealth({ config, spec, migrations, expectedRevisions: expected })
    const newFailures = [
      ...verify.checks.filter((c) => c.status === 'fail' && !failingBefore.has(c.id)),
      ...health.checks.filter((c) => c.status === 'fail'),
    ]
    if (newFailures.length > 0) {
      failure = {
        reason: `${plural(newFailures.length, 'check')} failed after the upgrade: ${newFailures.map((c) => c.title).join(', ')}`,
        rootCause: newFailures.flatMap((c) => [
          `${c.title}: ${c.summary}`,
          ...c.details.map((d) => `  ${d}`),
        ]),
      }
      timeline.push(`Health checks failed: ${newFailures.map((c) => `${c.title} (${c.summary})`).join('; ')}`)
    } else {
      line('✓ All health checks passed')
      timeline.push(
        `Verify and health passed (${plural(verify.checks.length + health.checks.length, 'check')})`,
      )
    }
  }

  if (failure === undefined && options.watchMs !== undefined && options.watchMs > 0) {
    line(
      `Watching health for ${formatDuration(options.watchMs)} (every ${formatDuration(config.deploy.watchInterval)})`,
    )
    // An interruption during the window ends the watching, not the deploy: it is done, and logged below.
    const stop = new AbortController()
    const giveBack = options.takeOverInterrupt?.(() => stop.abort())
    const watched = await watchHealth(
      { config, spec, migrations, expectedRevisions: expected },
      options.watchMs,
      config.deploy.watchInterval,
      (report, elapsed) => {
        const failed = report.checks.filter((c) => c.status === 'fail')
        line(
          failed.length === 0
            ? `watch +${formatDuration(elapsed)}: ${plural(report.checks.length, 'check')} passed`
            : `watch +${formatDuration(elapsed)}: ${failed.map((c) => `${c.title}: ${c.summary}`).join('; ')}`,
        )
      },
      stop.signal,
    ).finally(() => giveBack?.())
    if (watched.failure !== undefined) {
      const failed = watched.failure.checks.filter((c) => c.status === 'fail')
      failure = {
        reason: `the watch window saw ${failed.map((c) => c.title).join(', ')} fail after ${plural(watched.polls, 'poll')}`,
        rootCause: failed.flatMap((c) => [`${c.title}: ${c.summary}`, ...c.details.map((d) => `  ${d}`)]),
      }
      timeline.push(`Watch window: ${failure.reason}`)
    } else if (watched.stopped) {
      line(
        `Watch stopped early (interrupted) after ${plural(watched.polls, 'poll')}, all healthy; the deploy stands`,
      )
      timeline.push(
        `Watch window: stopped early (interrupted) after ${plural(watched.polls, 'poll')}, all healthy`,
      )
    } else {
      timeline.push(`Watch window: ${plural(watched.polls, 'poll')}, all healthy`)
    }
  }

  if (failure === undefined) {
    const totalMs = Math.round(performance.now() - started)
    const logLine = appendProductionLog(config.deploy.log, {
      at,
      action: 'deploy',
      database,
      operator,
      from: preflight.fromRows,
      to: upgradeResult!.rowsAfter,
      migrations: upgradeResult!.steps.length,
      phase,
      upgradeMs,
      totalMs,
      backup: backup.id,
      outcome: 'deployed',
      report: undefined,
    })
    line(`Logged to ${displayPath(config.deploy.log)}`)
    await notifyTeam(
      config,
      { ...notice, event: 'deployed', to: upgradeResult!.rowsAfter, text: withoutTimestamp(logLine) },
      line,
    )
    if (backup.kind === 'server-copy') await serverCopyCleanup(config, spec, line)
    return finish({
      outcome: 'deployed',
      toRows: upgradeResult!.rowsAfter,
      backup,
      upgrade: upgradeResult,
      verify,
      health,
      logLine,
      upgradeMs,
    })
  }

  line(`Deploy failed: ${failure.reason}`)
  const rollback = await rollBack({
    config,
    spec,
    migrations,
    toRows: preflight.fromRows,
    backup,
    onLine: line,
    ...(options.args ? { args: options.args } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
  })
  const { reportPath, logLine } = await recordRollback(
    config,
    {
      at,
      database,
      operator,
      migrations: steps.map((step) => ({ revision: step.revision, file: step.meta.file })),
      reason: failure.reason,
      rootCause: failure.rootCause,
      fromRows: preflight.fromRows,
      timeline,
      outcome: rollback,
    },
    {
      action: 'deploy',
      from: preflight.fromRows,
      to: expected,
      migrations: steps.length,
      phase,
      upgradeMs,
      totalMs: Math.round(performance.now() - started),
      backup: backup.id,
      outcome: rollback.ok
        ? rollback.method === 'downgrade'
          ? 'failed, rolled back by downgrade'
          : 'failed, restored from backup'
        : 'failed, rollback FAILED',
    },
    line,
  )
  return finish({
    outcome: rollback.ok ? 'rolled-back' : 'rollback-failed',
    toRows: rollback.ok ? preflight.fromRows : (upgradeResult?.rowsAfter ?? preflight.fromRows),
    backup,
    upgrade: upgradeResult,
    verify,
    health,
    failure: failure.reason,
    rollback,
    reportPath,
    logLine,
    upgradeMs,
  })
}
