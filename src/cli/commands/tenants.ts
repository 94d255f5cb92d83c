import { type Command, Option } from 'commander'
import type { FleetCommand } from '../../fleet/index.js'
import { DEPLOY_PHASES, type DeployPhase } from '../../runner/phase.js'
import type { CommandContext } from '../context.js'
import { type LockFlags, lockRetriesOption, lockTimeoutOption, withLockFlags } from '../lock-flags.js'
import { collect, positiveInteger } from '../option-values.js'
import { action } from '../run-action.js'

interface TenantsFlags extends LockFlags {
  match?: string
  schemas?: string
  list?: string
  server?: string[]
  concurrency?: string
  continueOnError?: boolean
  onlyFailed?: string
  verbose?: boolean
  phase?: DeployPhase
  backup?: boolean
}

const COMMANDS: readonly { name: FleetCommand; description: string; target?: 'optional' | 'required' }[] = [
  { name: 'upgrade', description: 'upgrade every tenant to TARGET (default head)', target: 'optional' },
  { name: 'downgrade', description: 'downgrade every tenant to TARGET (-1, REV, base)', target: 'required' },
  { name: 'current', description: "each tenant's revision, grouped" },
  { name: 'check', description: "safety analysis of each tenant's pending migrations" },
  { name: 'verify', description: 'migration health of each tenant' },
  { name: 'backup', description: 'a backup of each tenant (its database, or its schema)' },
]

/** `strata tenants <command>`: one command over a fleet of tenant databases or schemas. */
export function registerTenantsCommands(program: Command): void {
  const tenants = program
    .command('tenants')
    .description('run upgrade, downgrade, current, check, verify or backup over every tenant')
    .addHelpText(
      'after',
      `
Tenants are tenant databases (--match 'tenant_%', on the selected server or on each
--server), tenant schemas in the selected database (--schemas 'tenant_%'), or the
lines of a file (--list tenants.txt: database names, URLs, schema:NAME). The config's
tenants section gives the same keys as defaults.

Examples:
  strata tenants upgrade --match 'tenant_%'
  strata tenants upgrade --schemas 'tenant_%' --concurrency 8 --continue-on-error
  strata tenants upgrade --only-failed migrations/tenants_upgrade_20261125_101500.json
  strata tenants current --match 'tenant_%'
  strata tenants backup --list tenants.txt`,
    )
  for (const spec of COMMANDS) {
    const command = tenants.command(spec.name).description(spec.description)
    if (spec.target === 'optional') command.argument('[target]', 'head, REV, +N, ...', 'head')
    if (spec.target === 'required') command.argument('<target>', '-1, REV, base, ...')
    command
      .option('--match <pattern>', "tenant databases whose name is LIKE the pattern ('tenant_%')")
      .option('--schemas <pattern>', 'tenant schemas (LIKE pattern) in the selected database')
      .option('--list <file>', 'tenants listed in a file, one per line')
      .option(
        '--server <name-or-url>',
        'a server to search with --match (repeatable; default: the selected one)',
        collect,
      )
      .option('--concurrency <n>', 'tenants at once (default: from the free connections of the server)')
      .option(
        '--continue-on-error',
        'go on with the other tenants after one fails (default: start no new ones)',
      )
      .option('--only-failed <report>', 'only the tenants that failed or did not start in an earlier run')
      .option('-v, --verbose', 'list every tenant in the summary, not only those that need attention')
    if (spec.name === 'upgrade') {
      command
        .addOption(
          new Option('--phase <phase>', 'expand | contract | all, as for strata upgrade')
            .choices([...DEPLOY_PHASES])
            .default('all'),
        )
        .option(
          '--backup',
          "take and verify each tenant's backup before its upgrade (default: backup.beforeUpgrade)",
        )
        .option('--no-backup', 'no backups first, even when backup.beforeUpgrade is set')
    }
    if (spec.name === 'upgrade' || spec.name === 'downgrade')
      command.addOption(lockTimeoutOption()).addOption(lockRetriesOption())
    if (spec.name === 'downgrade') {
      command.option(
        '--no-backup',
        "do not back up the tables each tenant's downgrade destroys (by default they are, when they hold data)",
      )
    }
    command.action(
      action(async (context, ...args: unknown[]) => {
        const target = spec.target === undefined ? undefined : (args[0] as string)
        const flags = args[spec.target === undefined ? 0 : 1] as TenantsFlags
        return runTenants(context, spec.name, target, flags)
      }),
    )
  }
}

async function runTenants(
  context: CommandContext,
  command: FleetCommand,
  target: string | undefined,
  flags: TenantsFlags,
): Promise<number> {
  const concurrency = positiveInteger(flags.concurrency, '--concurrency', 8)
  // Each tenant's config derives from this one: the lock flags reach every tenant.
  const config = withLockFlags(await context.config(), flags)
  const migrations = await context.migrations()
  const { runTenantsCommand } = await import('../../fleet/index.js')
  const { FleetDisplay, fleetSummary } = await import('../fleet-display.js')
  const display = new FleetDisplay(context.output.quiet || context.output.json)
  const stop = new AbortController()
  let running = 0
  // Ctrl-C lets the running tenants finish and starts no other; a second one quits.
  const { takeOverInterrupt } = await import('../interrupts.js')
  const giveBack = takeOverInterrupt(() => {
    stop.abort()
    display.stopping(running)
  })
  try {
    const { report, reportPath } = await runTenantsCommand({
      config,
      command,
      migrations,
      args: context.migrationArguments(),
      selection: {
        match: flags.match,
        schemas: flags.schemas,
        list: flags.list,
        ...(flags.server === undefined ? {} : { servers: flags.server }),
      },
      selectedSpec: () => context.connectionSpec(),
      ...(target === undefined ? {} : { target }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(flags.phase === undefined ? {} : { phase: flags.phase }),
      ...(flags.backup === undefined ? {} : { backupFirst: flags.backup }),
      continueOnError: Boolean(flags.continueOnError),
      ...(flags.onlyFailed === undefined ? {} : { onlyFailed: flags.onlyFailed }),
      stop: stop.signal,
      onPlan: (plan) => display.plan(plan, `tenants ${command}`),
      onStart: (tenant, progress) => {
        running = progress.running.length
        display.started(tenant, progress)
      },
      onFinish: (result, progress) => {
        running = progress.running.length
        display.finished(result, progress)
      },
      onNotice: (tenant, line) => display.notice(tenant, line),
      onWarning: (line) => context.output.notice(line),
    })
    display.close()
    if (report.counts.total === 0)
      context.output.line(`nothing to run: ${flags.onlyFailed} has no failed or not-started tenant`)
    else context.output.line(fleetSummary(report, reportPath, Boolean(flags.verbose)))
    context.output.data({
      ok: report.counts.failed + report.counts['not started'] === 0,
      reportPath,
      ...report,
    })
    return report.counts.failed + report.counts['not started'] > 0 ? 1 : 0
  } finally {
    giveBack()
  }
}
