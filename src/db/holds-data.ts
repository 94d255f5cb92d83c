import type pg from 'pg'
import { quoteIdent, quoteTableName } from './quote.js'
import { relationExists } from './version-table.js'

/** A table, or one of its columns, as parsed from SQL: `users`, `billing.invoices`. */
export interface TableOrColumn {
  readonly table: string
  readonly column?: string
}

/** How long one probe may read before its table or column is taken to hold data. */
const PROBE_MS = 5000

/**
 * Those of `items` that exist and hold data: a table with at least one row, a column
 * with at least one non-null value. Each probe stops at the first row it finds (`LIMIT
 * 1`, not a count): a table with rows answers at once; only a column that is NULL
 * everywhere costs a read of its table, and one still reading after 5 s is counted as
 * holding data (a backup too many, never one too few). Sets the session's
 * `statement_timeout`: give it a connection of its own.
 */
export async function holdingData<T extends TableOrColumn>(
  client: pg.ClientBase,
  items: readonly T[],
  probeMs = PROBE_MS,
): Promise<T[]> {
  const holding: T[] = []
  await client.query(`SET statement_timeout = ${Math.max(1, Math.floor(probeMs))}`)
  for (const item of items) {
    const relation = quoteTableName(item.table)
    const present =
      item.column === undefined
        ? await relationExists(client, relation)
        : (
            await client.query<{ present: boolean }>(
              'SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped) AS present',
              [relation, item.column],
            )
          ).rows[0]!.present
    if (!present) continue
    try {
      const probe = await client.query(
        `SELECT 1 FROM ${relation}${item.column === undefined ? '' : ` WHERE ${quoteIdent(item.column)} IS NOT NULL`} LIMIT 1`,
      )
      if (probe.rows.length > 0) holding.push(item)
    } catch (error) {
      // 57014: canceled by statement_timeout, still reading a big table.
      if ((error as { code?: string }).code !== '57014') throw error
      holding.push(item)
    }
  }
  return holding
}
