import type { Command } from 'commander'
import type { ImportResult } from '../../backup/import-archive.js'
import { StrataError, UsageError } from '../../errors/index.js'
import { plural } from '../../util/plural.js'
import type { CommandContext } from '../context.js'
import { mark } from '../output.js'
import { action } from '../run-action.js'

interface ImportFlags {
  database?: string
  all?: boolean
}

/** `strata backups import`: another tool's dumps into the catalog. */
export function registerBackupImportCommand(backups: Command): void {
  backups
    .command('import')
    .description(
      "adopt another tool's dumps (the guide's <db>_<time>.sql.gz, pg_dump -Fc, directory dumps) into the catalog",
    )
    .argument('[archives...]', 'paths, or names of archives in the backup directory')
    .option('--all', 'every archive in the backup directory that has no manifest')
    .option(
      '--database <name>',
      'the database they are backups of, when an archive does not say (plain dumps)',
    )
    .addHelpText(
      'after',
      `
Each archive is read whole first (gzip checksum, pg_dump's trailer, pg_restore for custom
and directory archives); a damaged one is refused and nothing is written for it. Its
tables' rows and the version table's revisions are read from the dump into the manifest,
so that \`strata restore ID\` checks the restored copy against them. An archive outside
the backup directory is copied in (mode 0600); the original stays where it is.

Examples:
  strata backups import assistant_20251126_100001.sql.gz
  strata backups import --all                     what backup_database.sh left in the directory
  strata backups import /var/backups/pg/assistant.dump
  strata backups import old.sql --database assistant`,
    )
    .action(
      action(async (context, archives: string[], flags: ImportFlags) =>
        importArchives(context, archives, flags),
      ),
    )
}

async function importArchives(context: CommandContext, given: string[], flags: ImportFlags): Promise<number> {
  const config = await context.config()
  const { importArchive } = await import('../../backup/import-archive.js')
  const { foreignArchives, listBackups } = await import('../../backup/catalog.js')
  if (flags.all && given.length > 0) throw new UsageError('give archives or --all, not both')
  const directory = config.backup.directory
  const archives = flags.all ? foreignArchives(directory, listBackups(directory)) : given
  if (archives.length === 0)
    throw new UsageError(
      flags.all ? `no archive without a manifest in ${directory}` : 'name the archives to import',
      {
        hint: 'strata backups import assistant_20251126_100001.sql.gz, or --all for every one in the backup directory',
      },
    )
  // Retention groups backups by server: an import is filed under the project's database.
  const spec = (await context.target().catch(() => undefined))?.spec
  const options = {
    config,
    ...(flags.database === undefined ? {} : { database: flags.database }),
    ...(spec === undefined ? {} : { server: { host: spec.host, port: spec.port } }),
  }
  // One archive: its refusal is the command's error. Several: each is reported and the
  // rest go on, so that one damaged night does not stop a month of backups.
  if (archives.length === 1) {
    const result = await importArchive({ ...options, archive: archives[0]! })
    await printImported(context, result)
    context.output.data({ ok: true, imported: [result], refused: [] })
    return 0
  }
  const imported: ImportResult[] = []
  const refused: { archive: string; message: string; hint: string | undefined }[] = []
  let exitCode = 0
  for (const archive of archives) {
    try {
      const result = await importArchive({ ...options, archive })
      imported.push(result)
      await printImported(context, result)
    } catch (error) {
      if (!(error instanceof StrataError)) throw error
      refused.push({ archive, message: error.message, hint: error.hint })
      context.output.line(`${mark.fail()} ${error.message}${error.hint ? `\n    hint: ${error.hint}` : ''}`)
      exitCode = Math.max(exitCode, error.exitCode)
    }
  }
  context.output.line(
    `${plural(imported.length, 'archive')} imported${refused.length > 0 ? `, ${refused.length} refused` : ''}`,
  )
  context.output.data({ ok: refused.length === 0, imported, refused })
  return exitCode
}

async function printImported(context: CommandContext, { manifest, copiedFrom }: ImportResult): Promise<void> {
  const { totalRows } = await import('../../backup/manifest.js')
  const rows = totalRows(manifest)
  context.output.line(
    `${mark.ok()} imported ${manifest.file} as backup ${manifest.id}: ${manifest.format}${manifest.options.compression === 'none' ? '' : ' (gzip)'} of database ${manifest.database}, dumped from PostgreSQL ${manifest.server.version}, ${plural(Object.keys(manifest.rowCounts).length, 'table')} with ${rows.toLocaleString('en-US')} rows, at ${manifest.revisions.join(', ') || 'no recorded revision'}${copiedFrom === undefined ? '' : ` (copied from ${copiedFrom})`}`,
  )
  context.output.line(`  restore it with: strata restore ${manifest.id}`)
}
