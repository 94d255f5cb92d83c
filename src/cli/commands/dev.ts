import type { Command } from 'commander'
import type { DevServerStatus } from '../../dev/index.js'
import type { CommandContext } from '../context.js'
import { colors, mark, table } from '../output.js'
import { action } from '../run-action.js'

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

/** `strata dev start | stop | status | url | psql` — the embedded PostgreSQL 16. */
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
