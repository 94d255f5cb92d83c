import { type Command, Option } from 'commander'
import type { ResolvedConfig } from '../../config/types.js'
import { UsageError } from '../../errors/index.js'
import { DEPLOY_PHASES, type DeployPhase } from '../../runner/phase.js'
import { parseDuration } from '../../util/duration.js'
import { plural } from '../../util/plural.js'
import { logTimestamp } from '../../util/timestamp.js'
import type { CommandContext } from '../context.js'
import { mark } from '../output.js'
import { progressPrinter } from '../progress.js'
import { action } from '../run-action.js'
import { stepPrinter } from '../workflow-lines.js'

interface MigrateFlags {
  sql?: boolean
  singleTransaction?: boolean
  /** `--backup` / `--no-backup`; undefined follows `backup.beforeUpgrade`. */
  backup?: boolean
  phase?: DeployPhase
  /** For this run, over the config and the migrations' own settings. */
  lockTimeout?: string
  lockRetries?: string
}

/** `--lock-timeout` in ms: a positive duration with its unit. */
function lockTimeoutFlag(text: string): number {
  const ms = parseDuration(text)
  const problem =
    ms === undefined
      ? 'write it with a unit: ms, s, min or h'
      : /^\s*[\d.]+\s*$/.test(text)
        ? `give a unit: ${text}s (a bare number would be ${text} ms, as PostgreSQL reads it)`
        : ms === 0
          ? '0 would wait for a lock forever, which is what lock_timeout is there to prevent'
          : undefined
  if (problem !== undefined || ms === undefined)
    throw new UsageError(`--lock-timeout expects a duration such as 10s or 2min, not "${text}"`, {
      hint: problem,
    })
  return ms
}

/** The config with `--lock-timeout` / `--lock-retries` applied for this run. */
function withLockFlags(config: ResolvedConfig, flags: MigrateFlags): ResolvedConfig {
  if (flags.lockTimeout === undefined && flags.lockRetries === undefined) return config
  const timeout = flags.lockTimeout === undefined ? undefined : lockTimeoutFlag(flags.lockTimeout)
  const retries = flags.lockRetries === undefined ? undefined : Number(flags.lockRetries)
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 100))
    throw new UsageError(`--lock-retries expects a whole number from 0 to 100, not "${flags.lockRetries}"`)
  return { ...config, lock: Object.freeze({ ...config.lock, commandLine: { timeout, retries } }) }
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
    const { renderOfflineScript } = await import('../../runner/offline-script.js')
    const { script } = await renderOfflineScript({
      config,
      migrations,
      direction,
      range: target,
      args: context.migrationArguments(),
      ...(transactionPerMigration === undefined ? {} : { transactionPerMigration }),
    })
    process.stdout.write(script)
    return 0
  }
  const spec = await context.connectionSpec()
  const { upgrade, downgrade } = await import('../../runner/migrate.js')
  const { backupFirst } = await import('../../backup/backup-first.js')
  const { describeSavedData } = await import('../../backup/saved-data.js')
  const backupId = await backupFirst({
    config,
    spec,
    migrations,
    direction,
    target,
    requested: flags.backup,
    args: context.migrationArguments(),
    onProgress: (line) => context.output.notice(`${logTimestamp()} ${line}`),
  })
  const options = {
    ...(backupId === undefined ? {} : { backupId }),
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
    const saved =
      direction === 'down' && backupId !== undefined
        ? `; the data it destroyed is kept in ${describeSavedData(backupId)}`
        : ''
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
    .option(
      '--lock-timeout <duration>',
      'lock_timeout for this run (10s, 2min), over the config and the migrations',
    )
    .option('--lock-retries <n>', 'retries after a lock timeout for this run')
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
    .option(
      '--lock-timeout <duration>',
      'lock_timeout for this run (10s, 2min), over the config and the migrations',
    )
    .option('--lock-retries <n>', 'retries after a lock timeout for this run')
    .action(
      action(async (context, target: string, flags: MigrateFlags) => run(context, 'down', target, flags)),
    )

  program
    .command('stamp')
    .description('set the version table to REV... without running migrations')
    .argument('<revisions...>', 'revisions (head, REV, head-1, ...)')
    .option('--purge', 'empty the version table first (also clears unknown revisions)')
    .action(
      action(async (context, revisions: string[], flags: { purge?: boolean }) => {
        const config = await context.config()
        const migrations = await context.migrations()
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
