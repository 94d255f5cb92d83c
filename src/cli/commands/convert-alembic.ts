import { basename } from 'node:path'
import { plural } from '../../util/plural.js'
import type { CommandContext } from '../context.js'
import { mark } from '../output.js'

/** `strata convert` of an Alembic versions directory: ported in place, same revision ids. */
export async function portAlembic(
  context: CommandContext,
  from: string,
  dryRun: boolean,
  scaffold: boolean,
): Promise<number> {
  const config = await context.config()
  const { portAlembicMigrations } = await import('../../adopt/alembic/port-alembic.js')
  const result = portAlembicMigrations({
    directory: from,
    migrationDirectories: config.migrations.directories,
    projectDir: config.rootDir,
    dryRun,
    scaffold,
  })
  const scaffolded = result.notPorted.filter((migration) => migration.scaffold !== undefined)
  // What was written must load as any migration does (file:line otherwise, exit 2).
  if (!dryRun && result.ported.length + scaffolded.length > 0) await context.migrations()
  const { output } = context
  const total = result.ported.length + result.notPorted.length
  output.line(
    `${dryRun ? 'Would port' : `${mark.ok()} Ported`} ${result.ported.length} of ${plural(total, 'Alembic migration')} in ${from} to SQL, with the same revision ids (alembic_version needs no stamp)`,
  )
  const convention = result.namingConvention
  if (convention !== undefined)
    output.line(
      convention.readable
        ? `  constraint and index names follow the naming_convention of ${convention.source}, as Alembic's did`
        : `  ${mark.warn()} the naming_convention of ${convention.source} is built in code Strata cannot read: a migration that leaves a name to it is not ported (name it there with op.f('...'))`,
    )
  for (const migration of result.ported)
    output.line(
      `  ${basename(migration.source)} → ${basename(migration.file)}${migration.hasDowngrade ? '' : '  (no downgrade)'}${migration.transactional ? '' : '  (transactional: false: CONCURRENTLY)'}`,
    )
  for (const migration of result.notPorted)
    output.line(
      `  ${mark.warn()} not ported: ${basename(migration.source)}${migration.line === undefined ? '' : `:${migration.line}`}: ${migration.reason}${migration.scaffold === undefined ? '' : `\n      ${dryRun ? 'would scaffold' : 'scaffolded'} ${basename(migration.scaffold)}: its Python in comments, an upgrade that refuses to run until written`}`,
    )
  if (!scaffold && result.notPorted.some((migration) => migration.revision !== undefined))
    output.line(
      `  (\`strata convert ${from} --scaffold\` writes each of those as a TypeScript migration to finish, with its Python in it)`,
    )
  if (scaffolded.length > 0) {
    output.line(
      `next: ${dryRun ? 'scaffold without --dry-run, then ' : ''}write the functions of ${scaffolded.map((migration) => basename(migration.scaffold!)).join(', ')} from the Python in ${scaffolded.length === 1 ? 'it' : 'each'}; until then an upgrade stops there, saying so${result.ported.length > 0 ? '; review the SQL of the ported ones (strata check -r base:head)' : ''}`,
    )
    context.output.data({ tool: 'alembic', dryRun, ...result })
    return 0
  }
  output.line(
    result.ported.length === 0
      ? 'next: port them by hand: move each .py aside and write a TypeScript or SQL migration with its revision id and down_revision (strata revision --rev-id ID --head PARENT writes one to fill in)'
      : `next: ${dryRun ? 'port without --dry-run, then ' : ''}review the SQL (strata check -r base:head, strata upgrade base:head --sql) and try each one up, down and up again (strata rehearse), then commit: Strata runs them from now on${result.notPorted.length > 0 ? '; the ones not ported stay Alembic files, which Strata reads but does not run' : ''}`,
  )
  context.output.data({ tool: 'alembic', dryRun, ...result })
  return 0
}
