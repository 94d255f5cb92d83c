import type { ResolvedConfig } from '../config/types.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { UsageError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { DeployPhase } from '../runner/phase.js'

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
  /** An upgrade's `--phase`: what it holds back is not backed up for it. */
  readonly phase?: DeployPhase
  /** A schema-per-tenant tenant: the backup holds its schema (its tables) only. */
  readonly schema?: string
}

/**
 * The backup a migration run takes before its first step, and its id for the history
 * rows. An upgrade backs up the whole database when asked (`--backup`,
 * `backup.beforeUpgrade`) and something will run. Otherwise, unless told not to
 * (`--no-backup`), an upgrade or downgrade backs up the tables it destroys that hold
 * data (see `backupDestroyedData`). Used by `strata upgrade | downgrade` and by each
 * tenant of `strata tenants upgrade | downgrade`.
 *
 * @returns the backup, or undefined when none was taken
 */
export async function backupFirst(options: BackupFirstOptions): Promise<BackupTaken | undefined> {
  const { config, spec, migrations } = options
  if (options.requested === false) return undefined
  if (options.direction === 'up' && (options.requested ?? config.backup.beforeUpgrade)) {
    const id = await wholeDatabaseFirst(options)
    return id === undefined ? undefined : { id, ofDestroyedData: false }
  }
  const { backupDestroyedData } = await import('./backup-destroyed-data.js')
  const id = await backupDestroyedData({
    direction: options.direction,
    config,
    spec,
    migrations,
    targets: [options.target],
    ...(options.phase === undefined ? {} : { phase: options.phase }),
    ...(options.args === undefined ? {} : { args: options.args }),
    onProgress: options.onProgress,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  })
  return id === undefined ? undefined : { id, ofDestroyedData: true }
}

export interface BackupTaken {
  /** A catalog backup id, or the copies in `strata_saved` (see `describeSavedData`). */
  readonly id: string
  /** True when it holds what the run destroys (the run's summary says where it is kept). */
  readonly ofDestroyedData: boolean
}

/** The verified backup of the whole database (or the tenant's schema) an upgrade was asked to take. */
async function wholeDatabaseFirst(options: BackupFirstOptions): Promise<string | undefined> {
  const { config, spec, migrations } = options
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
