import { type Command, Option } from 'commander'
import { describeSavedData } from '../../backup/saved-data.js'
import type { DeployResult } from '../../deploy/deploy.js'
import { UsageError } from '../../errors/index.js'
import { DEPLOY_PHASES, type DeployPhase } from '../../runner/phase.js'
import { parseDuration } from '../../util/duration.js'
import { plural } from '../../util/plural.js'
import { formatCheckLine } from '../check-report-output.js'
import { type LockFlags, lockRetriesOption, lockTimeoutOption, withLockFlags } from '../lock-flags.js'
import { collect } from '../option-values.js'
import { mark } from '../output.js'
import { progressPrinter } from '../progress.js'
import { action } from '../run-action.js'
import { progressLines, stepPrinter } from '../workflow-lines.js'

interface DeployFlags extends LockFlags {
  phase: DeployPhase
  yes?: boolean
  watch?: string
  acknowledge?: string[]
  dryRun?: boolean
}

/**
 * A confirmation that can be given: `--yes`, or a terminal to ask on. Checked before
 * anything runs, so that a script without `--yes` fails at once (exit 2), not after a
 * preflight that took minutes.
 */
async function confirmation(
  command: string,
  yes: boolean | undefined,
): Promise<((question: string) => Promise<boolean>) | undefined> {
  if (yes) return undefined
  const { confirm, requireTerminal } = await import('../confirm.js')
  requireTerminal(`strata ${command}`)
  return (question) => confirm(question)
}

/** `--watch 30m`, `--watch 90s`, `--watch 1h`: milliseconds, or exit 2 with the forms. */
function watchDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const ms = parseDuration(text.replace(/(\d)m$/, '$1min'))
  if (ms === undefined || ms <= 0)
    throw new UsageError(`--watch: "${text}" is not a duration`, {
      hint: 'use a number with a unit: 90s, 30m, 1h',
    })
  // The deploy holds the deploy lock while it watches: no other deploy, rollback or
  // restore of the database can start meanwhile.
  if (ms > 86_400_000)
    throw new UsageError(
      `--watch ${text} is longer than a day, and the deploy holds its lock while it watches`,
      {
        hint: "watch for the release's risky window (30m, 2h); monitoring takes over after it",
      },
    )
  return ms
}

const OUTCOME_TEXT: Readonly<Record<DeployResult['outcome'], string>> = {
  deployed: 'deployed',
  'nothing-to-deploy': 'nothing to deploy',
  'preflight-failed': 'preflight failed: nothing was changed',
  cancelled: 'cancelled: nothing was changed',
  'backup-failed': 'the backup failed: nothing was changed',
  'rolled-back': 'the deploy failed and was rolled back',
  'rollback-failed': 'the deploy failed and the rollback did not complete: the database needs a person',
  'dry-run': 'dry run',
}

/** What a deploy would do, after a preflight that passed (`--dry-run`). */
function dryRunSummary(result: DeployResult): string {
  const { preflight } = result
  const plan = preflight.backupPlan
  const backup =
    plan === undefined || plan.kind === 'none'
      ? 'none possible'
      : `${plan.kind === 'archive' ? '' : 'a server copy: '}${plan.evidence}`
  return [
    `${mark.ok()} dry run: the preflight passed and nothing was changed. A deploy would:`,
    `    back up ${result.database}: ${backup}`,
    `    apply ${plural(preflight.steps.length, 'migration')} (phase ${result.phase}): ${preflight.steps.map((step) => step.revision).join(' → ')}, to ${result.toRows.join(', ')}`,
    `    ${preflight.downtime.length === 0 ? 'need no downtime' : `stop services for ${preflight.downtime.join('; ')}`}`,
    ...(preflight.held.length === 0
      ? []
      : [
          `    leave ${plural(preflight.held.length, 'migration')} for --phase contract, starting with ${preflight.held[0]!.revision}`,
        ]),
    '    then verify, check health and log; roll back if anything fails',
  ].join('\n')
}

function summary(result: DeployResult): string {
  const { outcome } = result
  if (outcome === 'deployed')
    return `${mark.ok()} deployed ${plural(result.upgrade?.steps.length ?? 0, 'migration')} to ${result.database}: now at ${result.toRows.join(', ')} (phase ${result.phase}, backup ${result.backup?.id})`
  if (outcome === 'dry-run') return dryRunSummary(result)
  if (outcome === 'nothing-to-deploy') {
    const pending = result.preflight.checks.find((check) => check.id === 'pending')
    return `${mark.ok()} nothing to deploy: ${pending?.summary ?? 'already at the target'}`
  }
  const tail = result.reportPath ? `; report: ${result.reportPath}` : ''
  return `${mark.fail()} ${OUTCOME_TEXT[outcome]}${result.failure ? ` (${result.failure})` : ''}${tail}`
}

/** `strata deploy` and `strata rollback`. */
export function registerDeployCommands(program: Command): void {
  program
    .command('deploy')
    .description(
      'the production workflow: preflight, backup, upgrade, verify, health, log; rolls back on failure',
    )
    .argument('[target]', 'where to go (head, REV, +N, label@head)', 'head')
    .addOption(
      new Option(
        '--phase <phase>',
        'expand: stop before contract migrations; contract: after the release; all: everything',
      )
        .choices([...DEPLOY_PHASES])
        .default('expand'),
    )
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .option(
      '--dry-run',
      'run the preflight only (its rehearsal on a scratch database) and say what a deploy would do',
    )
    .option('--watch <duration>', 'poll health for this long after the deploy (30m, 90s); failures roll back')
    .addOption(lockTimeoutOption())
    .addOption(lockRetriesOption())
    .option(
      '--acknowledge <rule>',
      'accept a `strata check` error: RULE or REVISION:RULE (repeatable)',
      collect,
    )
    .action(
      action(async (context, target: string, flags: DeployFlags) => {
        const watchMs = watchDuration(flags.watch)
        const config = withLockFlags(await context.config(), flags)
        const confirm = flags.dryRun ? undefined : await confirmation('deploy', flags.yes)
        const migrations = await context.migrations()
        const spec = await context.connectionSpec()
        const { deploy } = await import('../../deploy/deploy.js')
        const { takeOverInterrupt } = await import('../interrupts.js')
        const lines = progressLines(context)
        if (!context.output.quiet)
          context.output.line(`Preflight for ${spec.database} on ${spec.host}:${spec.port}`)
        const result = await deploy({
          config,
          spec,
          migrations,
          target,
          phase: flags.phase,
          dryRun: Boolean(flags.dryRun),
          acknowledge: flags.acknowledge ?? [],
          args: context.migrationArguments(),
          ...(watchMs === undefined
            ? {}
            : {
                watchMs,
                // Ctrl-C or a CI timeout's SIGTERM ends the watching; the deploy stands, logged.
                takeOverInterrupt: (handler: () => void) => takeOverInterrupt(handler, ['SIGINT', 'SIGTERM']),
              }),
          ...(confirm ? { confirm } : {}),
          onCheck: (check) => {
            if (!context.output.quiet) context.output.line(formatCheckLine(check))
          },
          onLine: lines,
          onStep: stepPrinter(context),
          onProgress: progressPrinter(context.output.quiet || context.output.json),
        })
        context.output.line(summary(result))
        const ok = ['deployed', 'nothing-to-deploy', 'dry-run'].includes(result.outcome)
        context.output.data({ ok, ...result })
        return ok ? 0 : 1
      }),
    )

  program
    .command('rollback')
    .description(
      'roll back by hand: downgrade (default -1), restoring a backup if that fails; writes the report',
    )
    .option('--to <target>', 'downgrade target: -1, REV, base (default -1)')
    .option(
      '--restore <backup>',
      'a backup id, latest, an archive path or a server copy; alone: restore at once',
    )
    .option('--reason <text>', 'why, for the rollback report')
    .option(
      '--no-backup',
      'do not back up the data the downgrade destroys (rows written since the deploy) before it runs',
    )
    .addOption(lockTimeoutOption())
    .addOption(lockRetriesOption())
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .action(
      action(
        async (
          context,
          flags: LockFlags & {
            to?: string
            restore?: string
            reason?: string
            backup: boolean
            yes?: boolean
          },
        ) => {
          const confirm = await confirmation('rollback', flags.yes)
          const config = withLockFlags(await context.config(), flags)
          const migrations = await context.migrations()
          const spec = await context.connectionSpec()
          const { rollbackByHand } = await import('../../deploy/manual-rollback.js')
          const result = await rollbackByHand({
            config,
            spec,
            migrations,
            ...(flags.to === undefined ? {} : { to: flags.to }),
            ...(flags.restore === undefined ? {} : { restore: flags.restore }),
            ...(flags.reason === undefined ? {} : { reason: flags.reason }),
            backUpDestroyedData: flags.backup,
            args: context.migrationArguments(),
            ...(confirm ? { confirm } : {}),
            onLine: progressLines(context),
            onStep: stepPrinter(context),
          })
          const ok = !result.cancelled && result.outcome?.ok === true
          context.output.line(
            result.cancelled
              ? `${mark.fail()} cancelled: nothing was changed`
              : ok
                ? `${mark.ok()} rolled back by ${result.outcome!.method}${result.outcome!.dataBackupId ? ` (the data the downgrade destroyed is kept in ${describeSavedData(result.outcome!.dataBackupId)})` : ''}; report: ${result.reportPath}`
                : `${mark.fail()} the rollback did not complete: the database needs a person; report: ${result.reportPath}`,
          )
          context.output.data({ ok, ...result })
          return ok ? 0 : 1
        },
      ),
    )
}
