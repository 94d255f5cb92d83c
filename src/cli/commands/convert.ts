import type { Command } from 'commander'
import type { Conversion } from '../../adopt/convert/convert-migrations.js'
import type { StampAdvice } from '../../adopt/convert/stamp-advice.js'
import { maskedUrl } from '../../db/connection-spec.js'
import { displayPath } from '../../util/display-path.js'
import { plural } from '../../util/plural.js'
import type { CommandContext } from '../context.js'
import { mark } from '../output.js'
import { action } from '../run-action.js'

/**
 * `strata convert DIR`: another tool's SQL migrations (Prisma, dbmate, golang-migrate,
 * Flyway, node-pg-migrate) become Strata's, and the database that tool migrated is
 * read to say which revision to stamp.
 */
export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .argument('<dir>', "the other tool's migrations directory, e.g. prisma/migrations or db/migrations")
    .description(
      "turn another tool's SQL migrations (prisma, dbmate, golang-migrate, flyway, node-pg-migrate) into Strata migrations, and say which revision to stamp",
    )
    .option(
      '--from <tool>',
      'the tool, when its layout is not recognised: prisma, dbmate, golang-migrate, flyway, node-pg-migrate',
    )
    .option('--dry-run', 'list what would be written; write nothing')
    .action(
      action(async (context, from: string, flags: { from?: string; dryRun?: boolean }) => {
        const config = await context.config()
        const { convertMigrations } = await import('../../adopt/convert/convert-migrations.js')
        const conversion = convertMigrations({
          from,
          tool: flags.from,
          directory: config.migrations.directories[0]!,
          dryRun: flags.dryRun,
        })
        // What was written must load as any migration does (file:line otherwise, exit 2).
        if (!flags.dryRun) await context.migrations()
        const advice = await readStampAdvice(context, conversion)
        printConversion(context, conversion, from, Boolean(flags.dryRun), advice)
        context.output.data({ ...conversion, dryRun: Boolean(flags.dryRun), database: advice ?? null })
        return 0
      }),
    )
}

/**
 * Where the other tool left the selected database, when one is configured or running
 * (the development server is not started for this) and holds the tool's table.
 */
async function readStampAdvice(
  context: CommandContext,
  conversion: Conversion,
): Promise<(StampAdvice & { database: string }) | undefined> {
  if (!(await context.databaseWithoutStarting())) return undefined
  const { withConnection } = await import('../../db/connect.js')
  const { readAppliedByTool } = await import('../../adopt/convert/applied-migrations.js')
  const { stampAdvice } = await import('../../adopt/convert/stamp-advice.js')
  let spec: Awaited<ReturnType<CommandContext['connectionSpec']>>
  try {
    spec = await context.connectionSpec()
    const applied = await withConnection(spec, (connection) =>
      readAppliedByTool(connection.client, conversion.tool),
    )
    return applied === undefined
      ? undefined
      : { ...stampAdvice(conversion, applied), database: maskedUrl(spec) }
  } catch (error) {
    // The files are written either way; the database only refines the next step.
    context.output.notice(`could not read which migrations the database has: ${(error as Error).message}`)
    return undefined
  }
}

function printConversion(
  context: CommandContext,
  conversion: Conversion,
  from: string,
  dryRun: boolean,
  advice: (StampAdvice & { database: string }) | undefined,
): void {
  const { output } = context
  const { migrations, tool } = conversion
  output.line(
    `${dryRun ? 'Would convert' : `${mark.ok()} Converted`} ${plural(migrations.length, `${tool} migration`)} from ${from}`,
  )
  for (const migration of migrations) {
    const notes = [
      ...(migration.hasDowngrade ? [] : ['no downgrade']),
      ...(migration.outsideTransaction ? [`transactional: false, ${migration.outsideTransaction}`] : []),
    ]
    output.line(
      `  ${migration.source} → ${displayPath(migration.file)}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}`,
    )
  }
  for (const left of conversion.leftOut) output.line(`  ${mark.warn()} left out ${left.file}: ${left.reason}`)
  const first = migrations[0]!.revision
  const last = migrations.at(-1)!.revision
  if (advice === undefined) {
    output.line(
      `next: \`strata stamp REV\` on each database ${tool} migrated, REV being the last migration it applied (\`strata stamp ${last}\` when it applied them all); a new database gets them with \`strata upgrade head\``,
    )
    return
  }
  output.line(
    `The database (${advice.database}): ${advice.table} lists ${plural(advice.applied, 'migration')} of ${migrations.length} applied`,
  )
  for (const problem of advice.problems) output.line(`  ${mark.fail()} ${problem}`)
  if (advice.gaps.length > 0)
    output.line(
      `  ${mark.fail()} not applied though later ones are: ${advice.gaps.join(', ')}; apply them with ${tool} first, or port their changes into a new migration, then stamp`,
    )
  if (advice.unknown.length > 0)
    output.line(
      `  ${mark.warn()} ${advice.table} lists what no file here holds: ${advice.unknown.join(', ')}`,
    )
  if (advice.stamp !== undefined) {
    const rest =
      advice.pending.length === 0
        ? 'it then is at head'
        : `then \`strata upgrade head\` applies ${plural(advice.pending.length, 'migration')} ${tool} had not (${advice.pending.join(', ')})`
    output.line(
      `next: ${dryRun ? 'convert without --dry-run, then ' : ''}\`strata stamp ${advice.stamp}\` on it (writes only the version table; ${advice.table} stays, unused); ${rest}`,
    )
  } else if (advice.applied === 0 && advice.problems.length === 0) {
    output.line(`next: \`strata upgrade head\` applies them all, from ${first}`)
  } else {
    output.line(
      'next: resolve what is marked above, then run strata convert --dry-run again to see the revision to stamp',
    )
  }
}
