import type { Command } from 'commander'
import type { DevServerStatus } from '../../dev/index.js'
import { plural } from '../../util/plural.js'
import type { CommandContext } from '../context.js'
import { colors, mark, table } from '../output.js'
import { progressPrinter } from '../progress.js'
import { action } from '../run-action.js'
import { stepPrinter } from '../workflow-lines.js'

function describeServer(context: CommandContext, status: DevServerStatus, headline: string): void {
  context.output.line(headline)
  context.output.line(
    table([
      ['  url', status.url],
      ['  data', status.dataDir],
      ['  password', `${status.passwordFile} (mode 0600; pgpass format)`],
      ['  log', status.logFile],
    ]),
  )
}

/** `strata dev start | stop | status | url | psql | reset` — the embedded PostgreSQL 16. */
export function registerDevCommands(program: Command): void {
  const dev = program
    .command('dev')
    .description('the embedded PostgreSQL 16 development server (127.0.0.1:5433 by default)')

  dev
    .command('start')
    .description('start the development server, creating it on first use')
    .action(
      action(async (context) => {
        const { devStart } = await import('../../dev/index.js')
        const result = await devStart(await context.config())
        for (const note of result.notes) context.output.notice(`${mark.warn()} ${note}`)
        const headline = result.started
          ? `${mark.ok()} PostgreSQL ${result.postgresVersion} development server ${result.created ? 'created and ' : ''}started on ${result.host}:${result.port} (pid ${result.pid})`
          : `${mark.ok()} PostgreSQL ${result.postgresVersion} development server already running on ${result.host}:${result.port} (pid ${result.pid})`
        describeServer(context, result, headline)
        context.output.line(
          `  connect   ${colors.bold('strata dev psql')}  ·  stop: ${colors.bold('strata dev stop')}`,
        )
        context.output.data(result)
      }),
    )

  dev
    .command('stop')
    .description('stop the development server (its data is kept)')
    .action(
      action(async (context) => {
        const { devStop } = await import('../../dev/index.js')
        const status = devStop(await context.config())
        context.output.line(`${mark.ok()} development server stopped (data kept in ${status.dataDir})`)
        context.output.data(status)
      }),
    )

  dev
    .command('status')
    .description('show whether the development server runs, and where')
    .action(
      action(async (context) => {
        const { devStatus } = await import('../../dev/index.js')
        const status = devStatus(await context.config())
        const headline = status.running
          ? `${mark.ok()} PostgreSQL ${status.postgresVersion} running on ${status.host}:${status.port} (pid ${status.pid})`
          : `${mark.warn()} not running${status.initialized ? '' : ' (not created yet)'}; start it with \`strata dev start\``
        describeServer(context, status, headline)
        context.output.data(status)
      }),
    )

  dev
    .command('url')
    .description('print a connection URL for other tools (the password stays in its 0600 passfile)')
    .action(
      action(async (context) => {
        const { devStatus } = await import('../../dev/index.js')
        const status = devStatus(await context.config())
        const url = `postgresql://${status.user}@${status.host}:${status.port}/${status.database}?passfile=${encodeURI(status.passwordFile)}`
        if (!status.running)
          context.output.notice(`${mark.warn()} the development server is not running: \`strata dev start\``)
        context.output.line(url)
        context.output.data({ url, masked: status.url, running: status.running })
      }),
    )

  dev
    .command('reset')
    .description(
      'drop the development database and build it again from the migrations (asks; only the embedded server)',
    )
    .option('-y, --yes', 'do not ask')
    .option('--no-upgrade', 'leave the new database empty')
    .action(
      action(async (context, flags: { yes?: boolean; upgrade?: boolean }) => {
        const config = await context.config()
        // Loaded first: a migration that does not load stops the reset before anything is dropped.
        const migrations = await context.migrations()
        const { devReset, devStatus } = await import('../../dev/index.js')
        const status = devStatus(config)
        if (!flags.yes) {
          const { confirm } = await import('../confirm.js')
          const question = `Drop ${config.dev.database} on the development server ${status.host}:${status.port}${status.running ? '' : ' (started first)'} and build it again from the migrations? Its data is lost`
          if (!(await confirm(`${question}?`))) {
            context.output.line(`${mark.fail()} cancelled: nothing was changed`)
            return 1
          }
        }
        const result = await devReset({
          config,
          migrations,
          upgrade: flags.upgrade !== false,
          args: context.migrationArguments(),
          onStep: stepPrinter(context),
          onNotice: (line) => context.output.notice(line),
          onProgress: progressPrinter(context.output.quiet || context.output.json),
        })
        const where = `${result.database} on ${result.host}:${result.port}`
        const upgraded = result.upgraded
        context.output.line(
          upgraded === undefined
            ? `${mark.ok()} ${where} dropped and created again, empty`
            : `${mark.ok()} ${where} dropped and created again, then upgraded to ${upgraded.rowsAfter.join(', ') || 'base'}: ${plural(upgraded.steps.length, 'migration')}`,
        )
        context.output.data({ ok: true, ...result })
      }),
    )

  dev
    .command('psql')
    .description("open the system's psql on the development server (every argument after psql is psql's)")
    .argument('[psqlArgs...]', 'arguments for psql: strata dev psql -c "SELECT 1"')
    .allowUnknownOption()
    .action(
      action(async (context, psqlArgs: string[]) => {
        const { devPsql } = await import('../../dev/index.js')
        return devPsql(await context.config(), psqlArgs)
      }),
    )
}
