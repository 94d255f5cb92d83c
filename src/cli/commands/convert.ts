import type { Command } from 'commander'
import type { Conversion } from '../../adopt/convert/convert-migrations.js'
import { FOREIGN_TOOLS } from '../../adopt/convert/foreign-migration.js'
import type { StampAdvice } from '../../adopt/convert/stamp-advice.js'
import { maskedUrl } from '../../db/connection-spec.js'
import { UsageError } from '../../errors/index.js'
import { displayPath } from '../../util/display-path.js'
import { plural } from '../../util/plural.js'
import type { CommandContext } from '../context.js'
import { mark } from '../output.js'
import { action } from '../run-action.js'
import { portAlembic } from './convert-alembic.js'

/** Every tool convert reads, for the help texts. */
const TOOLS = ['alembic', ...FOREIGN_TOOLS].join(', ')

/**
 * `strata convert DIR`: another tool's migrations (Prisma's, dbmate's, golang-migrate's,
 * Flyway's SQL; TypeORM's, Knex's and node-pg-migrate's code, rendered) become Strata's,
 * and the database that tool migrated is read to say which revision to stamp.
 */
export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .argument('<dir>', "the other tool's migrations directory, e.g. prisma/migrations or db/migrations")
    .description(
      `turn another tool's migrations (${TOOLS}) into Strata migrations, and say which revision to stamp`,
    )
    .option('--from <tool>', `the tool, when its layout is not recognised: ${TOOLS}`)
    .option('--dry-run', 'list what would be written; write nothing')
    .option(
      '--scaffold',
      'Alembic: each migration that is Python code becomes a TypeScript migration to finish by hand, its Python in comments',
    )
    .addHelpText(
      'after',
      `
Each migration becomes an SQL migration in the (empty) migrations directory, chained in
the tool's order, its revision id made from the tool's version (v20240101120000, Flyway's
1.2 as v1_2). When the selected database holds the tool's table (_prisma_migrations,
schema_migrations, flyway_schema_history, pgmigrations), it says which revision to
stamp there; it stamps nothing itself. Run again once converted, it writes nothing and
says where the selected database is; run again after the tool wrote new migrations
(prisma migrate dev --create-only, say), it converts those, after the current head.

An Alembic versions directory is ported in place: each migration made of op calls Strata
renders (create_table, add_column, create_index, alter_column, execute, ...) becomes an
SQL migration with the same revision id, beside it (the .py kept as .py.ported), so
alembic_version needs no stamp; a migration that is Python code stays as it is, named
with the line that stopped it.

Examples:
  strata convert migrations/versions             an Alembic project (strata init pointed the config there)
  strata convert prisma/migrations --dry-run    what it would write, and the revision to stamp
  strata convert prisma/migrations              then: strata stamp <rev>; strata upgrade head
  strata convert db/migrations -n staging       converted before: where staging is
  strata convert sql --from flyway
  strata convert migrations/versions --scaffold   Alembic data migrations as TypeScript to finish by hand`,
    )
    .action(
      action(
        async (context, from: string, flags: { from?: string; dryRun?: boolean; scaffold?: boolean }) => {
          const config = await context.config()
          const { looksLikeAlembic } = await import('../../adopt/alembic/port-alembic.js')
          if (flags.from === 'alembic' || (flags.from === undefined && looksLikeAlembic(from)))
            return portAlembic(context, from, Boolean(flags.dryRun), Boolean(flags.scaffold))
          if (flags.scaffold)
            throw new UsageError('--scaffold is for Alembic migrations (Python code to port by hand)', {
              hint: `${from} holds SQL migrations: strata convert ${from} converts every one`,
            })
          const { convertMigrations } = await import('../../adopt/convert/convert-migrations.js')
          const conversion = await convertMigrations({
            from,
            tool: flags.from,
            directory: config.migrations.directories[0]!,
            dryRun: flags.dryRun,
            existingHeads: async () => (await context.migrations()).graph.heads,
          })
          // What was written must load as any migration does (file:line otherwise, exit 2).
          if (!flags.dryRun && !conversion.convertedBefore) await context.migrations()
          const state = await readDatabaseState(context, conversion)
          printConversion(context, conversion, from, Boolean(flags.dryRun), state)
          context.output.data({ ...conversion, dryRun: Boolean(flags.dryRun), database: state ?? null })
          return 0
        },
      ),
    )
}

/**
 * Where the selected database is, when one is configured or running (the development
 * server is not started for this): at a Strata revision already, or where the other
 * tool's table says that tool left it.
 */
async function readDatabaseState(
  context: CommandContext,
  conversion: Conversion,
): Promise<DatabaseState | undefined> {
  if (!(await context.databaseWithoutStarting())) return undefined
  const { withConnection } = await import('../../db/connect.js')
  const { readVersionRows } = await import('../../db/version-table.js')
  const { runnerTables } = await import('../../runner/tables.js')
  const { readAppliedByTool } = await import('../../adopt/convert/applied-migrations.js')
  const { stampAdvice } = await import('../../adopt/convert/stamp-advice.js')
  const config = await context.config()
  try {
    const spec = await context.connectionSpec()
    return await withConnection(spec, async (connection): Promise<DatabaseState | undefined> => {
      const database = maskedUrl(spec)
      // Stamped (or migrated by Strata) already: the other tool's table is history.
      const rows = await readVersionRows(connection.client, runnerTables(config).version)
      if (rows.length > 0) return { database, strataRevisions: rows }
      const applied = await readAppliedByTool(connection.client, conversion.tool)
      return applied === undefined ? undefined : { ...stampAdvice(conversion, applied), database }
    })
  } catch (error) {
    // The files are written either way; the database only refines the next step.
    context.output.notice(`could not read which migrations the database has: ${(error as Error).message}`)
    return undefined
  }
}

/** Where the selected database is: at a Strata revision already, or where the other tool left it. */
type DatabaseState =
  | { readonly database: string; readonly strataRevisions: readonly string[] }
  | (StampAdvice & { readonly database: string })

function printConversion(
  context: CommandContext,
  conversion: Conversion,
  from: string,
  dryRun: boolean,
  state: DatabaseState | undefined,
): void {
  const { output } = context
  const { migrations, tool } = conversion
  const { appended } = conversion
  const written = appended === undefined ? migrations : migrations.slice(appended.before)
  output.line(
    conversion.convertedBefore
      ? `${mark.ok()} ${plural(migrations.length, `${tool} migration`)} from ${from} converted before: nothing written`
      : appended !== undefined
        ? `${dryRun ? 'Would convert' : `${mark.ok()} Converted`} ${plural(written.length, `new ${tool} migration`)} from ${from}, after ${appended.after} (${appended.before} converted before)`
        : `${dryRun ? 'Would convert' : `${mark.ok()} Converted`} ${plural(migrations.length, `${tool} migration`)} from ${from}`,
  )
  for (const migration of written) {
    const notes = [
      ...(migration.hasDowngrade ? [] : ['no downgrade']),
      ...(migration.outsideTransaction ? [`transactional: false, ${migration.outsideTransaction}`] : []),
      ...(migration.droppedTransactionControl
        ? [`its BEGIN/COMMIT left out: Strata runs it in one transaction`]
        : []),
    ]
    output.line(
      `  ${migration.source} → ${displayPath(migration.file)}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}`,
    )
  }
  for (const left of conversion.leftOut) output.line(`  ${mark.warn()} left out ${left.file}: ${left.reason}`)
  const first = migrations[0]!.revision
  const last = migrations.at(-1)!.revision
  if (state !== undefined && 'strataRevisions' in state) {
    output.line(
      `The database (${state.database}) is at ${state.strataRevisions.join(', ')} in Strata's version table already: nothing to stamp; \`strata upgrade head\` applies what follows`,
    )
    return
  }
  const advice = state
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
      `next: ${dryRun && !conversion.convertedBefore ? 'convert without --dry-run, then ' : ''}\`strata stamp ${advice.stamp}\` on it (writes only the version table; ${advice.table} stays, unused); ${rest}`,
    )
  } else if (advice.applied === 0 && advice.problems.length === 0) {
    output.line(`next: \`strata upgrade head\` applies them all, from ${first}`)
  } else {
    output.line(
      'next: resolve what is marked above, then run strata convert --dry-run again to see the revision to stamp',
    )
  }
}
