import type pg from 'pg'
import { quoteTableName } from '../db/quote.js'
import { UsageError } from '../errors/index.js'

/**
 * A partial restore replaces tables inside one transaction: their rows are emptied
 * (`--data-only`) or the tables dropped and recreated. A foreign key from a table left out
 * of the restore makes either impossible without also emptying or unlinking that table —
 * which PostgreSQL refuses half-way, after a safety backup was taken for nothing. Checked
 * first, it is bad input with the fix: restore the referencing tables too.
 */
export async function refuseOutsideReferences(
  client: pg.ClientBase,
  tables: readonly string[],
  dataOnly: boolean,
): Promise<void> {
  const { rows } = await client.query<{ referenced: string; referencing: string; name: string }>(
    `WITH chosen AS (
       SELECT to_regclass(t) AS oid FROM unnest($1::text[]) t WHERE to_regclass(t) IS NOT NULL
     )
     SELECT confrelid::regclass::text AS referenced, conrelid::regclass::text AS referencing, conname AS name
       FROM pg_constraint
      WHERE contype = 'f'
        AND confrelid IN (SELECT oid FROM chosen) AND conrelid NOT IN (SELECT oid FROM chosen)
      ORDER BY 1, 2, 3`,
    // Quoted: to_regclass reads an SQL name, which would fold a table created as "Users".
    [tables.map(quoteTableName)],
  )
  if (rows.length === 0) return
  const referencing = [...new Set(rows.map((row) => row.referencing))]
  const keys = rows.map((row) => `${row.referencing}.${row.name} → ${row.referenced}`).join(', ')
  const action = dataOnly ? 'emptying' : 'dropping'
  throw new UsageError(
    `${[...new Set(rows.map((row) => row.referenced))].join(', ')} ${rows.length === 1 ? 'is' : 'are'} referenced by foreign keys from tables left out of the restore (${keys}); ${action} ${tables.length === 1 ? 'it' : 'them'} would break those references. Nothing was changed`,
    {
      hint: `restore the referencing tables with ${tables.length === 1 ? 'it' : 'them'}: ${[...tables, ...referencing].map((table) => `-t ${table}`).join(' ')}${dataOnly ? ' --data-only' : ''}`,
    },
  )
}
