import { downgrade, type MigrateOptions, type MigrateResult } from '../runner/migrate.js'
import { sameRows } from '../runner/version-rows.js'
import { revisionsText } from './production-log.js'

/**
 * Downgrades until the version table holds exactly `rows` again (the revisions before a
 * deploy): `base` when it held none, otherwise a downgrade to each row in turn, which
 * removes everything applied above it. Fails when the database ends anywhere else.
 */
export async function returnToRevisions(
  options: MigrateOptions,
  rows: readonly string[],
): Promise<MigrateResult[]> {
  const results: MigrateResult[] = []
  if (rows.length === 0) results.push(await downgrade(options, 'base'))
  for (const row of rows) results.push(await downgrade(options, row))
  const reached = results.at(-1)?.rowsAfter ?? rows
  if (!sameRows(reached, rows))
    throw new Error(
      `the downgrade ended at ${revisionsText(reached)}, not at ${revisionsText(rows)} where the deploy started`,
    )
  return results
}
