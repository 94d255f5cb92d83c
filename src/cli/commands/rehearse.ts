import type { Command } from 'commander'
import { parseRange } from '../../graph/target-syntax.js'
import type { MigrationRehearsal, RehearsalReport } from '../../rehearse/index.js'
import { formatDuration } from '../../util/duration.js'
import { plural } from '../../util/plural.js'
import type { CommandContext } from '../context.js'
import { mark } from '../output.js'
import { action } from '../run-action.js'

/** `strata rehearse`: every migration up, down and up again, on a scratch database. */
export function registerRehearseCommand(program: Command): void {
  program
    .command('rehearse')
    .description(
      'run each migration up, down and up again on a scratch database, checking that its downgrade restores the schema',
    )
    .option('-r, --rev-range <A:B>', 'rehearse the migrations after A up to B (default base:heads)')
    .addHelpText(
      'after',
      `
The guide's "upgrade, downgrade -1, upgrade again", for every migration in turn. The
scratch database is made beside the selected one (the development server when none is
configured), starts empty (or at A, without rehearsing up to it), and is dropped at the
end; the selected database is not touched. After each downgrade the schema is compared
with the one before the upgrade. Exit 1 when a leg fails or a downgrade leaves the
schema different; a migration without a downgrade is reported, not failed.

Examples:
  strata rehearse                       every migration, from an empty database
  strata rehearse -r head-3:head        only the last three (CI: the ones a branch adds)
  strata rehearse --url "$CI_DATABASE_URL" --json`,
    )
    .action(
      action(async (context, flags: { revRange?: string }) => {
        const range =
          flags.revRange === undefined ? { from: undefined, to: undefined } : parseRange(flags.revRange)
        const config = await context.config()
        const migrations = await context.migrations()
        const spec = await context.connectionSpec()
        const { rehearseMigrations } = await import('../../rehearse/index.js')
        const report = await rehearseMigrations({
          config,
          spec,
          migrations,
          args: context.migrationArguments(),
          from: range.from,
          to: range.to,
          onMigration: (result) => context.output.line(formatMigration(result)),
        })
        printSummary(context, report)
        context.output.data(report)
        return report.migrations.some((m) => m.outcome === 'failed' || m.outcome === 'not-restored') ? 1 : 0
      }),
    )
}

function formatMigration(result: MigrationRehearsal): string {
  const legs = [
    result.up === undefined ? undefined : `up ${formatDuration(result.up)}`,
    result.down === undefined ? undefined : `down ${formatDuration(result.down)}`,
    result.upAgain === undefined ? undefined : `up ${formatDuration(result.upAgain)}`,
  ].filter(Boolean)
  const head = `${result.revision}  ${result.message}`
  const lines: string[] = []
  switch (result.outcome) {
    case 'reversible':
      lines.push(`${mark.ok()} ${head}  ${legs.join(' → ')}`)
      break
    case 'no-downgrade':
      lines.push(`${mark.warn()} ${head}  up ${formatDuration(result.up ?? 0)}; no downgrade: not reversible`)
      break
    case 'not-restored':
      lines.push(`${mark.fail()} ${head}  ${legs.join(' → ')}; the downgrade does not restore the schema`)
      break
    case 'failed':
      lines.push(
        `${mark.fail()} ${head}  ${result.failedLeg === 'up again' ? 'the second upgrade' : `the ${result.failedLeg === 'up' ? 'upgrade' : 'downgrade'}`} failed: ${result.error}`,
      )
      break
  }
  for (const difference of result.differences) lines.push(`    ${difference}`)
  if (result.hint !== undefined) lines.push(`    hint: ${result.hint}`)
  if (result.failedLeg === 'up again' && result.differences.length > 0)
    lines.push(
      '    the downgrade does not undo all the upgrade does, so the upgrade cannot run again: make it undo it',
    )
  return lines.join('\n')
}

function printSummary(context: CommandContext, report: RehearsalReport): void {
  const count = (outcome: MigrationRehearsal['outcome']) =>
    report.migrations.filter((m) => m.outcome === outcome).length
  const problems = count('failed') + count('not-restored')
  const parts = [
    `${count('reversible')} reversible`,
    ...(count('no-downgrade') > 0 ? [`${count('no-downgrade')} without a downgrade`] : []),
    ...(problems > 0 ? [`${problems} with problems`] : []),
    ...(report.notReached.length > 0 ? [`${report.notReached.length} not reached`] : []),
  ]
  if (report.migrations.length === 0) {
    context.output.line('nothing to rehearse: no migrations in the range')
    return
  }
  context.output.line(
    `${problems > 0 ? mark.fail() : mark.ok()} ${plural(report.migrations.length, 'migration')} rehearsed on a scratch database of ${report.server}${report.prepared > 0 ? ` (after ${plural(report.prepared, 'migration')} applied to reach the start)` : ''}: ${parts.join(', ')}; scratch database dropped`,
  )
}
