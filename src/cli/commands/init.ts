import type { Command } from 'commander'
import { mark } from '../output.js'
import { action } from '../run-action.js'

/** `strata init [DIR]` — scaffold a config and the migrations directory. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('create strata.config.ts and migrations/versions/ (never overwrites)')
    .argument('[dir]', 'project directory', '.')
    .action(
      action(async (context, dir: string) => {
        const { initProject } = await import('../../config/init-project.js')
        const result = initProject(dir)
        for (const file of result.created) context.output.line(`${mark.ok()} created ${file}`)
        const locations = result.alembicVersionLocations
        if (locations !== undefined)
          context.output.line(
            `found an Alembic project: migrations.directories are ${locations.join(', ')} (alembic.ini's version_locations), where its .py migrations are read (Strata does not run Python); new ones go into ${locations[0]}, after its head`,
          )
        else if (result.alembicVersions !== undefined)
          context.output.line(
            `found an Alembic project: migrations.directories is ${result.alembicVersions}, where its .py migrations are read (Strata does not run Python) and new ones go after its head`,
          )
        if (result.alembicUrl !== undefined)
          context.output.line(
            `alembic.ini connects to ${result.alembicUrl}: strata takes the same URL from DATABASE_URL (export DATABASE_URL='<that URL>'), or from a database in strata.config.ts written as '\${ENV_VAR}'`,
          )
        const fromEnvPy = result.alembicEnvVariables ?? []
        if (fromEnvPy.includes('DATABASE_URL'))
          context.output.line('env.py reads DATABASE_URL, as strata does: the same variable serves both')
        else if (fromEnvPy.length > 0)
          context.output.line(
            `env.py reads ${fromEnvPy.map((name) => `$${name}`).join(', ')} from the environment: strata reads DATABASE_URL, so export DATABASE_URL="$${fromEnvPy[0]}", or name it in strata.config.ts: databases: { main: '\${${fromEnvPy[0]}}' }`,
          )
        if (result.dotenvUrl !== undefined)
          context.output.line(
            `found DATABASE_URL in .env (${result.dotenvUrl}): every strata command here uses it, unless the environment sets its own`,
          )
        if (result.convertible !== undefined)
          context.output.line(
            `found ${result.convertible.tool} migrations in ${result.convertible.directory}: keep them as Strata's with \`strata convert ${result.convertible.directory}\` (it says which revision to stamp on a database ${result.convertible.tool} migrated)`,
          )
        else if (result.otherTools.length > 0)
          context.output.line(
            `found ${result.otherTools.join(', ')} in package.json: keep its migrations as Strata's with \`strata convert DIR\` (Prisma, dbmate, golang-migrate, Flyway, TypeORM, Knex, node-pg-migrate; it says which revision to stamp), or adopt a database it migrated with \`strata revision -m "baseline" --baseline\` (its schema as the first migration), then \`strata stamp REV\` there`,
          )
        if (result.alembicVersionTable !== undefined)
          context.output.line(
            `env.py keeps Alembic's versions in ${[result.alembicVersionTable.schema, result.alembicVersionTable.table ?? 'alembic_version'].filter(Boolean).join('.')}: so does Strata (${[
              result.alembicVersionTable.table === undefined ? undefined : 'migrations.versionTable',
              result.alembicVersionTable.schema === undefined ? undefined : 'migrations.versionTableSchema',
            ]
              .filter(Boolean)
              .join(', ')} in strata.config.ts)`,
          )
        if (result.alembicRecursive)
          context.output.line(
            "alembic.ini reads its version locations' subdirectories too (recursive_version_locations): so does Strata (migrations.recursive)",
          )
        if (result.alembicFileTemplate !== undefined)
          context.output.line(
            `alembic.ini names new files ${result.alembicFileTemplate}: so does strata revision (migrations.fileTemplate)`,
          )
        if (result.alembicVersions !== undefined)
          context.output.line(
            `to stop needing Python: \`strata convert ${result.alembicVersions}\` ports its migrations made of op calls to SQL, with the same revision ids${locations === undefined ? '' : ' (and the same for each other version location)'}`,
          )
        context.output.line(
          result.alembicVersions === undefined
            ? 'next: strata revision -m "create users"   (edit strata.config.ts to add databases)'
            : result.alembicVersionTable !== undefined
              ? 'next: strata history, then strata revision -m "..."   (edit strata.config.ts to add databases)'
              : 'next: strata history, then strata revision -m "..."   (edit strata.config.ts to add databases; a version_table set in env.py goes to migrations.versionTable)',
        )
        context.output.data(result)
      }),
    )
}
