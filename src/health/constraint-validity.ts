import type pg from 'pg'
import { quoteIdent, quoteQualified } from '../db/quote.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'

/**
 * "Foreign key constraints valid": lists every constraint added `NOT VALID` and never
 * validated. Such a constraint guards new rows only; old rows may break it (the orphan
 * check says whether they do). A warning, because expand/contract deploys leave one
 * between phases on purpose; the fix is the VALIDATE statement shown.
 */
export async function checkConstraintValidity(
  client: pg.ClientBase,
  schemas: readonly string[],
): Promise<CheckOutcome> {
  const result = await client.query<{ schema: string; table: string; name: string; kind: string }>(
    `SELECT n.nspname AS schema, t.relname AS table, con.conname AS name,
            CASE con.contype WHEN 'f' THEN 'foreign key' WHEN 'c' THEN 'check' ELSE con.contype::text END AS kind
       FROM pg_constraint con
       JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE NOT con.convalidated AND n.nspname = ANY($1)
      ORDER BY 1, 2, 3`,
    [schemas],
  )
  const total = await client.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
      WHERE con.contype = 'f' AND n.nspname = ANY($1)`,
    [schemas],
  )
  if (result.rows.length === 0)
    return { status: 'ok', summary: `${plural(total.rows[0]!.count, 'foreign key')}, all validated` }
  return {
    status: 'warn',
    summary: `${plural(result.rows.length, 'constraint')} NOT VALID (new rows checked, existing rows not)`,
    details: result.rows.map(
      (row) =>
        `${row.schema}.${row.table}: ${row.kind} ${row.name} is NOT VALID. Validate it (SHARE UPDATE EXCLUSIVE lock, reads and writes continue): ALTER TABLE ${quoteQualified(row.schema, row.table)} VALIDATE CONSTRAINT ${quoteIdent(row.name)}`,
    ),
  }
}
