import { type Command, Option } from 'commander'
import { UsageError } from '../../errors/index.js'
import { DEPLOY_PHASES, type DeployPhase, heldNote } from '../../runner/phase.js'
import { plural } from '../../util/plural.js'
import { logTimestamp } from '../../util/timestamp.js'
import type { CommandContext } from '../context.js'
import { type LockFlags, lockRetriesOption, lockTimeoutOption, withLockFlags } from '../lock-flags.js'
import { mark } from '../output.js'
import { progressPrinter } from '../progress.js'
import { action } from '../run-action.js'
import { stepPrinter } from '../workflow-lines.js'

interface MigrateFlags extends LockFlags {
  sql?: boolean
  singleTransaction?: boolean
  /** `--backup` / `--no-backup`; undefined follows `backup.beforeUpgrade`. */
  backup?: boolean
  phase?: DeployPhase
}

async function run(
  context: CommandContext,
  direction: 'up' | 'down',
  target: string,
  flags: MigrateFlags,
): Promise<number> {
  const config = withLockFlags(await context.config(), flags)
  const migrations = await context.migrations()
  const transactionPerMigration = flags.singleTransaction ? false : undefined
  if (flags.sql) {
    // (downgrade's --no-backup leaves `backup` true unless given: only upgrade has --backup)
    if (direction === 'up' && flags.backup === true)
      throw new UsageError(
        '--backup needs the database, and --sql writes a script without connecting to it',
        {
          hint: 'take the backup where the script will run (`strata backup`), then run the script; or leave out --sql',
        },
      )
    const { renderOfflineScript } = await import('../../runner/offline-script.js')
    const { script, held, plan } = await renderOfflineScript({
      config,
      migrations,
      direction,
      range: target,
      args: context.migrationArguments(),
      ...(transactionPerMigration === undefined ? {} : { transactionPerMigration }),
      ...(flags.phase === undefined ? {} : { phase: flags.phase }),
    })
    process.stdout.write(script)
    if (held.length > 0) context.output.notice(`${mark.warn()} not in the script: ${heldNote(held)}`)
    if (plan.steps.length === 0 && plan.note !== undefined)
      context.output.notice(`${mark.warn()} the script runs no migration: ${plan.note}`)
    return 0
  }
  const spec = await context.connectionSpec()
  const { upgrade, downgrade } = await import('../../runner/migrate.js')
  const { backupFirst } = await import('../../backup/backup-first.js')
  const { keptAfterRun } = await import('../../backup/saved-data.js')
  const backup = await backupFirst({
    config,
    spec,
    migrations,
    direction,
    target,
    requested: flags.backup,
    ...(flags.phase === undefined ? {} : { phase: flags.phase }),
    args: context.migrationArguments(),
    onProgress: (line) => context.output.notice(`${logTimestamp()} ${line}`),
  })
  const options = {
    ...(backup === undefined ? {} : { backupId: backup.id }),
    config,
    spec,
    migrations,
    args: context.migrationArguments(),
    ...(transactionPerMigration === undefined ? {} : { transactionPerMigration }),
    onNotice: (line: string) => context.output.notice(line),
    onStep: stepPrinter(context),
    onProgress: progressPrinter(context.output.quiet || context.output.json),
    ...(flags.phase === undefined ? {} : { phase: flags.phase }),
  }
  const started = Date.now()
  const result = direction === 'up' ? await upgrade(options, target) : await downgrade(options, target)
  if (result.steps.length === 0) {
    context.output.line(`${mark.ok()} ${result.note}`)
  } else {
    const where = result.rowsAfter.length === 0 ? 'base' : result.rowsAfter.join(', ')
    const saved = backup?.ofDestroyedData ? keptAfterRun(backup.id) : ''
    context.output.line(
      `${mark.ok()} ${direction === 'up' ? 'upgraded' : 'downgraded'} to ${where}: ${result.steps.length} migration${result.steps.length === 1 ? '' : 's'} in ${Date.now() - started} ms${saved}`,
    )
  }
  if (result.held.length > 0 && result.steps.length > 0)
    context.output.notice(
      `${mark.warn()} ${plural(result.held.length, 'migration')} held back for the contract phase (${result.held.join(', ')}): run \`strata upgrade --phase contract\` once every instance runs the new release`,
    )
  context.output.data({ ok: true, ...result })
  return 0
}

/** `strata upgrade`, `strata downgrade`, `strata stamp`. */
export function registerMigrateCommands(program: Command): void {
  program
    .command('upgrade')
    .description('apply migrations up to TARGET (head, heads, REV, +N, label@head, ...)')
    .argument('[target]', 'where to go; with --sql also FROM:TO', 'head')
    .option('--sql', 'print the SQL script instead of running it (no connection is made)')
    .option('--single-transaction', 'run the whole upgrade in one transaction')
    .option('--backup', 'take and verify a backup first (default: backup.beforeUpgrade)')
    .option('--no-backup', 'no backup first, even when backup.beforeUpgrade is set')
    .addOption(
      new Option(
        '--phase <phase>',
        'expand: stop before the first contract migration; contract: after the release',
      )
        .choices([...DEPLOY_PHASES])
        .default('all'),
    )
    .addOption(lockTimeoutOption())
    .addOption(lockRetriesOption())
    .action(action(async (context, target: string, flags: MigrateFlags) => run(context, 'up', target, flags)))

  program
    .command('downgrade')
    .description('revert migrations down to TARGET (-1, REV, REV-N, label@-1, base)')
    .argument('<target>', 'where to go; with --sql FROM:TO')
    .option('--sql', 'print the SQL script instead of running it (needs FROM:TO)')
    .option('--single-transaction', 'run the whole downgrade in one transaction')
    .option(
      '--no-backup',
      'do not back up the tables the downgrade destroys (by default they are, when they hold data)',
    )
    .addOption(lockTimeoutOption())
    .addOption(lockRetriesOption())
    .action(
      action(async (context, target: string, flags: MigrateFlags) => run(context, 'down', target, flags)),
    )

  program
    .command('stamp')
    .description('set the version table to REV... without running migrations')
    .argument('<revisions...>', 'revisions (head, REV, head-1, ...)')
    .option('--purge', 'empty the version table first (also clears unknown revisions)')
    .option('--sql', 'print the SQL instead of changing the table (no connection; FROM:TO says where it is)')
    .action(
      action(async (context, revisions: string[], flags: { purge?: boolean; sql?: boolean }) => {
        const config = await context.config()
        const migrations = await context.migrations()
        if (flags.sql) {
          const { renderOfflineStamp } = await import('../../runner/offline-stamp.js')
          const { script } = renderOfflineStamp({
            config,
            migrations,
            targets: revisions,
            purge: flags.purge,
          })
          process.stdout.write(script)
          return 0
        }
        const spec = await context.connectionSpec()
        const { stamp } = await import('../../runner/stamp.js')
        const result = await stamp(
          { config, spec, migrations, onNotice: (line) => context.output.notice(line) },
          revisions,
          Boolean(flags.purge),
        )
        context.output.line(
          `${mark.ok()} stamped: ${result.rowsBefore.join(', ') || 'base'} -> ${result.rowsAfter.join(', ') || 'base'} (no migration ran)`,
        )
        context.output.data({ ok: true, ...result })
      }),
    )
}
