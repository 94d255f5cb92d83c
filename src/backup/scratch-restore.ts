import { randomBytes } from 'node:crypto'
import { connect } from '../db/connect.js'
import { type ConnectionSpec, withDatabase } from '../db/connection-spec.js'
import { quoteIdent } from '../db/quote.js'
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
  const name = `strata_restore_test_${randomBytes(5).toString('hex')}`
  const admin = await connect(spec)
  try {
    await admin.client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`)
    try {
      const scratch = withDatabase(spec, name)
      await restoreArchive({
        entry,
        spec: scratch,
        serverMajor: Math.floor(admin.serverVersionNum / 10000),
        mode: { kind: 'fresh', jobs: options.jobs },
        noOwner: true,
        noAcl: true,
        pgBinDir: options.pgBinDir,
      })
      const restored = await connect(scratch)
      try {
        const actual = await countRows(restored.client, entry.manifest.options.tables)
        return {
          problems: compareRowCounts(entry.manifest.rowCounts, actual),
          tables: Object.keys(actual).length,
        }
      } finally {
        await restored.close()
      }
    } finally {
      const force = admin.serverVersionNum >= 130000 ? ' WITH (FORCE)' : ''
      await admin.client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${force}`).catch(() => undefined)
    }
  } finally {
    await admin.close()
  }
}
