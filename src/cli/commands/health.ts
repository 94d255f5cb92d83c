import type { Command } from 'commander'
import { formatCheckReport } from '../check-report-output.js'
import { action } from '../run-action.js'

/** `strata health` and `strata verify`: exit 1 when a check fails. */
export function registerHealthCommands(program: Command): void {
  program
    .command('health')
    .description('is the database reachable, at head, consistent; do the application health URLs answer')
    .action(
      action(async (context) => {
        const config = await context.config()
        const migrations = await context.migrations()
        const spec = await context.connectionSpec()
        const { checkHealth } = await import('../../health/health.js')
        const report = await checkHealth({ config, spec, migrations })
        context.output.line(formatCheckReport(report, 'Health of'))
        context.output.data(report)
        return report.ok ? 0 : 1
      }),
    )

  program
    .command('verify')
    .description('migration health: tables readable, indexes valid, no orphans, no drift from the migrations')
    .action(
      action(async (context) => {
        const config = await context.config()
        const migrations = await context.migrations()
        const spec = await context.connectionSpec()
        const { verifyDatabase } = await import('../../health/verify.js')
        const report = await verifyDatabase({ config, spec, migrations, args: context.migrationArguments() })
        context.output.line(formatCheckReport(report, 'Migration health of'))
        context.output.data(report)
        return report.ok ? 0 : 1
      }),
    )
}
