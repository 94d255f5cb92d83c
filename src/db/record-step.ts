import type pg from 'pg'
import { OperationFailedError } from '../errors/index.js'
import type { VersionChange } from '../runner/version-rows.js'
import { type HistoryEntry, historyInsertParts } from './history-table.js'
import { type QualifiedName, qualified, versionChangeQuery } from './version-table.js'

/**
 * Writes a step's version-table changes and its history row in one statement (one
 * round trip instead of one per change): each change is a data-modifying CTE whose
 * row count is returned and checked. A count other than one means the version table
 * was edited behind Strata's back, and the surrounding transaction is stopped.
 */
export async function recordStep(
  client: pg.ClientBase,
  tables: { version: QualifiedName; history: QualifiedName },
  changes: readonly VersionChange[],
  entry: HistoryEntry,
): Promise<void> {
  const values: unknown[] = []
  const renumber = (text: string, params: readonly unknown[]) => {
    const offset = values.length
    values.push(...params)
    return text.replace(/\$(\d+)/g, (_match, index: string) => `$${Number(index) + offset}`)
  }
  const ctes = changes.map((change, index) => {
    const query = versionChangeQuery(change, tables.version)
    return `change_${index} AS (${renumber(query.text, query.values)} RETURNING 1)`
  })
  const history = historyInsertParts(entry)
  const insert = `INSERT INTO ${qualified(tables.history)} (${history.columns}) VALUES (${renumber(history.placeholders, history.values)})`
  const counts = changes.map((_, index) => `(SELECT count(*) FROM change_${index})::int AS change_${index}`)
  const text = `${ctes.length > 0 ? `WITH ${ctes.join(', ')} ` : ''}${insert}${counts.length > 0 ? ` RETURNING ${counts.join(', ')}` : ''}`
  // Named by its shape: the server parses and plans it once per connection, not per step.
  const shape = changes.map((change) => change.kind[0]).join('')
  const result = await client.query({ name: `strata_record_${tables.version.name}_${shape}`, text, values })
  changes.forEach((change, index) => {
    const count = (result.rows[0] as Record<string, number> | undefined)?.[`change_${index}`]
    if (change.kind !== 'insert' && count !== 1) {
      throw new OperationFailedError(
        `the version table ${tables.version.schema}.${tables.version.name} changed unexpectedly: expected one row "${change.kind === 'update' ? change.from : change.revision}", found ${count}`,
        { hint: 'someone edited it during the run; check `strata current` and fix it with `strata stamp`' },
      )
    }
  })
}
