import type pg from 'pg'
import { quoteIdent, quoteLiteral, quoteTableName } from '../db/quote.js'
import { prettySize } from '../diagnose/sizes.js'
import { fileTimestamp } from './backup-names.js'
import { SAVED_SCHEMA } from './saved-data.js'

/** The tables were too big to copy on the server; the message says how big. */
export class SavedTablesTooBigError extends Error {}

/**
 * Copies `tables` (names as the downgrade's SQL gives them, resolved with the
 * connection's search path) into `strata_saved`, each as `<table>_<time>`, in one
 * transaction: all are copied or none. `CREATE TABLE AS` reads under ACCESS SHARE, so
 * the application's reads and writes go on. Refuses copies over `limitBytes` in total:
 * a copy needs as much free disk as the tables take, which SQL cannot see, and a file
 * backup is then the better tool.
 *
 * @returns the copies' qualified names, in the order of `tables`
 */
export async function saveTablesOnServer(
  client: pg.ClientBase,
  tables: readonly string[],
  why: string,
  limitBytes: number,
  now = new Date(),
): Promise<string[]> {
  const { rows } = await client.query<{ bytes: string | null }>(
    'SELECT sum(pg_total_relation_size(to_regclass(t)))::text AS bytes FROM unnest($1::text[]) AS t',
    [tables.map(quoteTableName)],
  )
  const bytes = Number(rows[0]?.bytes ?? 0)
  if (bytes > limitBytes) {
    throw new SavedTablesTooBigError(
      limitBytes === 0
        ? 'copies on the server are turned off (backup.serverCopyLimitMb: 0)'
        : `copying ${tables.join(', ')} would take ${prettySize(bytes)}, more than backup.serverCopyLimitMb (${prettySize(limitBytes)})`,
    )
  }
  const stamp = fileTimestamp(now)
  const names = uniqueNames(tables, stamp)
  await client.query('BEGIN')
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(SAVED_SCHEMA)}`)
    for (const [index, table] of tables.entries()) {
      const copy = `${quoteIdent(SAVED_SCHEMA)}.${quoteIdent(names[index]!)}`
      await client.query(`CREATE TABLE ${copy} AS TABLE ${quoteTableName(table)}`)
      await client.query(
        `COMMENT ON TABLE ${copy} IS ${quoteLiteral(`${table} at ${now.toISOString()}: ${why}`)}`,
      )
    }
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
  return names.map((name) => `${SAVED_SCHEMA}.${name}`)
}

/** `users_20261130_111812`, `billing_invoices_...`; a suffix when two would collide; 63 bytes at most. */
function uniqueNames(tables: readonly string[], stamp: string): string[] {
  const taken = new Set<string>()
  return tables.map((table) => {
    const base = table.replace(/\./g, '_').slice(0, 63 - stamp.length - 4)
    let name = `${base}_${stamp}`
    for (let n = 2; taken.has(name); n++) name = `${base}_${stamp}_${n}`
    taken.add(name)
    return name
  })
}
