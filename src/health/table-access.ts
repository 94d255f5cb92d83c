import type pg from 'pg'
import { NOT_EXTENSION_MEMBER } from '../db/catalog-filters.js'
import { quoteIdent, quoteQualified } from '../db/quote.js'
import { describeLockHolder } from '../db/read-lock-waits.js'
import { LOCK_NOT_AVAILABLE } from '../db/sqlstate.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'

interface TableRow {
  oid: number
  schema: string
  name: string
  relkind: string
  can_use_schema: boolean
  can_select: boolean
}

/**
 * "All tables accessible": every table, partitioned table and materialized view in the
 * managed schemas is really read (`SELECT 1 ... LIMIT 1`) as the connected role. A
 * missing privilege is named with the GRANT that fixes it; a read that waits on a lock
 * names the session holding it instead of hanging (the caller's session has
 * `limitReadLockWaits`).
 */
export async function checkTableAccess(
  client: pg.ClientBase,
  schemas: readonly string[],
): Promise<CheckOutcome> {
  const tables = await client.query<TableRow>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
            has_schema_privilege(n.oid, 'USAGE') AS can_use_schema,
            has_table_privilege(c.oid, 'SELECT') AS can_select
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND n.nspname = ANY($1)
        AND ${NOT_EXTENSION_MEMBER}
      ORDER BY n.nspname, c.relname`,
    [schemas],
  )
  const role = (await client.query<{ role: string }>('SELECT current_user AS role')).rows[0]!.role
  const problems: string[] = []
  for (const table of tables.rows) {
    const name = `${table.schema}.${table.name}`
    if (!table.can_use_schema) {
      problems.push(
        `${name}: USAGE on schema ${table.schema} not granted to ${role} (GRANT USAGE ON SCHEMA ${quoteIdent(table.schema)} TO ${quoteIdent(role)})`,
      )
      continue
    }
    if (!table.can_select) {
      problems.push(
        `${name}: SELECT not granted to ${role} (GRANT SELECT ON ${quoteQualified(table.schema, table.name)} TO ${quoteIdent(role)})`,
      )
      continue
    }
    const problem = await readOnce(client, table)
    if (problem !== undefined) problems.push(`${name}: ${problem}`)
  }
  const read = tables.rows.length - problems.length
  if (problems.length === 0) {
    return { status: 'ok', summary: `${plural(read, 'table')} read as ${role}` }
  }
  return {
    status: 'fail',
    summary: `${plural(problems.length, 'table')} of ${tables.rows.length} not readable as ${role}`,
    details: problems,
  }
}

async function readOnce(client: pg.ClientBase, table: TableRow): Promise<string | undefined> {
  try {
    await client.query(`SELECT 1 FROM ${quoteQualified(table.schema, table.name)} LIMIT 1`)
    return undefined
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === LOCK_NOT_AVAILABLE)
      return describeLockHolder(client, [quoteQualified(table.schema, table.name)])
    if (code === '55000' && table.relkind === 'm')
      return `materialized view not populated (REFRESH MATERIALIZED VIEW ${quoteQualified(table.schema, table.name)})`
    return (error as Error).message
  }
}
