import type { ResolvedConfig } from '../config/types.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { UsageError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'

export interface BackupFirstOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  readonly direction: 'up' | 'down'
  /** The upgrade or downgrade target, as given. */
  readonly target: string
  /** `--backup` / `--no-backup`; undefined: the default for the direction. */
  readonly requested: boolean | undefined
  readonly args?: Readonly<Record<string, string>>
  readonly onProgress: (line: string) => void
  /** A schema-per-tenant tenant: the backup holds its schema (its tables) only. */
  readonly schema?: string
}

/**
 * The backup a migration run takes before its first step, and its id for the history
 * rows. An upgrade backs up the database when asked (`--backup`, `backup.beforeUpgrade`)
 * and something will run; a downgrade backs up, unless told not to, the tables it
 * destroys that hold data (see `backupBeforeDowngrade`). Used by `strata upgrade |
 * downgrade` and by each tenant of `strata tenants upgrade | downgrade`.
 *
 * @returns the backup id, or undefined when none was taken
 */
export async function backupFirst(options: BackupFirstOptions): Promise<string | undefined> {
  const { config, spec, migrations } = options
  if (options.direction === 'down') {
    if (options.requested === false) return undefined
    const { backupBeforeDowngrade } = await import('./backup-before-downgrade.js')
    return backupBeforeDowngrade({
      config,
      spec,
      migrations,
      targets: [options.target],
      ...(options.args === undefined ? {} : { args: options.args }),
      onProgress: options.onProgress,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    })
  }
  if (!(options.requested ?? config.backup.beforeUpgrade)) return undefined
  const { databaseStatus } = await import('../runner/status.js')
  const { runnerTables } = await import('../runner/tables.js')
  const status = await databaseStatus(spec, migrations, runnerTables(config))
  if (status.pending.length === 0) return undefined
  const { backupBeforeMigrating } = await import('./backup-before-migrating.js')
  const { ClientProgramError } = await import('./client-programs.js')
  try {
    return await backupBeforeMigrating(
      config,
      spec,
      options.onProgress,
      options.schema === undefined ? {} : { schemas: [options.schema] },
    )
  } catch (error) {
    if (!(error instanceof ClientProgramError)) throw error
    const asked = options.requested === true ? '--backup' : 'backup.beforeUpgrade in the config'
    throw new UsageError(
      `the upgrade is to take a backup first (${asked}), and it cannot: ${error.message}. Nothing was changed`,
      {
        hint: `${error.hint ?? 'install PostgreSQL client programs as new as the server'}; or upgrade without the backup (--no-backup)`,
      },
    )
  }
}
