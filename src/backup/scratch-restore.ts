import { withConnection } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { withScratchDatabase } from '../db/scratch-database.js'
import type { CatalogEntry } from './catalog.js'
import { restoreArchive } from './restore-archive.js'
import { countRows } from './row-counts.js'

/** Tables whose rows differ from the manifest: `schema.table: 100 in the backup, 98 restored`. */
export function compareRowCounts(
  expected: Readonly<Record<string, number>>,
  actual: Readonly<Record<string, number>>,
): string[] {
  const problems: string[] = []
  for (const [table, rows] of Object.entries(expected)) {
    const restored = actual[table]
    if (restored === undefined)
      problems.push(`${table}: missing after the restore (${rows} rows in the backup)`)
    else if (restored !== rows) problems.push(`${table}: ${rows} rows in the backup, ${restored} restored`)
  }
  return problems
}

/**
 * Restores a backup into a new scratch database on the server of `spec`, compares row
 * counts with the manifest, and drops the scratch database whatever happens.
 */
export async function restoreTest(
  entry: CatalogEntry,
  spec: ConnectionSpec,
  options: { jobs: number; pgBinDir: string | undefined },
): Promise<{ problems: string[]; tables: number }> {
  return withScratchDatabase(
    spec,
    `strata_restore_test_${entry.manifest.database}`,
    async (scratch, serverVersionNum) => {
      await restoreArchive({
        entry,
        spec: scratch,
        serverMajor: Math.floor(serverVersionNum / 10000),
        // A backup of some tables references tables it does not hold: the scratch database
        // cannot have them, so its foreign keys are left out (the rows are what is compared).
        mode: {
          kind: 'fresh',
          jobs: options.jobs,
          withoutForeignKeys: entry.manifest.options.tables.length > 0,
        },
        noOwner: true,
        noAcl: true,
        pgBinDir: options.pgBinDir,
      })
      const actual = await withConnection(scratch, (restored) =>
        countRows(restored.client, entry.manifest.options.tables),
      )
      return {
        problems: compareRowCounts(entry.manifest.rowCounts, actual),
        tables: Object.keys(actual).length,
      }
    },
  )
}
