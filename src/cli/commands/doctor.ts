import type { Command } from 'commander'
import { formatCheckReport } from '../check-report-output.js'
import { action } from '../run-action.js'

/** `strata doctor`: is this machine and project set up for the selected database? Exit 1 when a check fails. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'is this machine set up: config and .env read, database chosen and why, reachable, migrations load, client programs for the server, backup directory',
    )
    .action(
      action(async (context) => {
        const config = await context.config()
        const target = await context.target()
        // The development server is looked at, never started.
        const spec =
          target.spec !== undefined || (await context.databaseWithoutStarting())
            ? await context.connectionSpec()
            : undefined
        const { runDoctor } = await import('../../doctor/doctor.js')
        const report = await runDoctor({ config, target, spec })
        context.output.line(formatCheckReport(report, 'Setup for'))
        context.output.data(report)
        return report.ok ? 0 : 1
      }),
    )
}
