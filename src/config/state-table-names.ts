import { ConfigError } from '../errors/index.js'

/** The table batched backfills keep their checkpoints in, beside the version table. */
const BACKFILL_TABLE = 'strata_backfill'

/**
 * Refuses `migrations` settings that would make Strata read or write the wrong table,
 * each a config error naming the key, before any command connects:
 * - no directory at all (every command would see no migrations, and `revision` has
 *   nowhere to write);
 * - the version and history tables (or Strata's backfill table) under one name: the
 *   first upgrade failed on a bare "column id does not exist", after creating one;
 * - a schema PostgreSQL keeps for itself (`pg_catalog`, `information_schema`, `pg_*`),
 *   where a superuser's Strata would create its tables among the system catalogs.
 * `prefix` is where the keys live (`migrations` or `databases.NAME.migrations`).
 */
export function requireUsableStateTables(
  migrations: {
    readonly directories: readonly string[]
    readonly versionTable: string
    readonly historyTable: string
    readonly versionTableSchema: string
  },
  prefix: string,
  shown: string,
): void {
  const refuse = (message: string, hint: string) => {
    throw new ConfigError(`${shown}: ${prefix}.${message}`, { where: shown, hint })
  }
  if (migrations.directories.length === 0)
    refuse(
      'directories: lists no directory, so no migration would ever be found',
      "leave the key out for the default ['migrations/versions'], or name the directories your migrations are in",
    )
  if (migrations.historyTable === migrations.versionTable)
    refuse(
      `historyTable: "${migrations.historyTable}" is the version table's name too; the two tables hold different rows`,
      "leave historyTable out for the default 'strata_history', or give it a name of its own",
    )
  for (const key of ['versionTable', 'historyTable'] as const)
    if (migrations[key] === BACKFILL_TABLE)
      refuse(
        `${key}: "${BACKFILL_TABLE}" is the table Strata keeps backfill checkpoints in`,
        `give ${key} another name (defaults: versionTable 'alembic_version', historyTable 'strata_history')`,
      )
  const schema = migrations.versionTableSchema
  if (schema === 'information_schema' || /^pg_/i.test(schema))
    refuse(
      `versionTableSchema: "${schema}" is a schema PostgreSQL keeps for itself`,
      "leave it out for 'public', or name one of your own schemas (Strata creates it when missing)",
    )
}
