import type { ResolvedConfig } from '../config/types.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { OperationFailedError } from '../errors/index.js'
import { createBackup } from './create-backup.js'
import { verifyBackup } from './verify-backup.js'

/** What a backup before migrating holds, when not the whole database. */
export interface BackupScope {
  /** A schema-per-tenant tenant's schema. */
  readonly schemas?: readonly string[]
  /** Only these tables (pg_dump patterns): the ones a downgrade is about to destroy. */
  readonly tables?: readonly string[]
}

/**
 * The backup taken before migrating — by `strata upgrade --backup`, a deploy, and
 * `strata downgrade` of the tables it is about to destroy — read back to the end before
 * any migration runs. Its id goes into `strata_history` with every step, so the log says
 * which backup undoes a run.
 */
export async function backupBeforeMigrating(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  onProgress: (line: string) => void,
  scope: BackupScope = {},
): Promise<string> {
  const { manifest, entry } = await createBackup({
    config,
    spec,
    onProgress,
    // A safety net holds every row, whatever backup.excludeTableData leaves out of others.
    excludeTableData: [],
    ...(scope.schemas === undefined ? {} : { schemas: scope.schemas }),
    ...(scope.tables === undefined ? {} : { tables: scope.tables, format: 'custom' as const }),
  })
  const verification = await verifyBackup(entry, { pgBinDir: config.pgBinDir })
  if (!verification.ok) {
    throw new OperationFailedError(
      `the backup taken before migrating failed verification (${verification.checks.find((check) => !check.ok)?.detail}); no migration ran`,
      { hint: "check the backup directory's disk, then run again" },
    )
  }
  onProgress(`Backup ${manifest.id} verified; migrating`)
  return manifest.id
}
