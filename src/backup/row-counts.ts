import type pg from 'pg'
import { NOT_EXTENSION_MEMBER, NOT_SYSTEM_SCHEMA } from '../db/catalog-filters.js'
import { quoteQualified } from '../db/quote.js'

/**
 * Exact row counts of the tables a backup holds, as `schema.table` → rows. Run inside
 * the snapshot pg_dump reads, the counts describe exactly what the archive contains.
 * `tables` (from `-t`) and `schemas` narrow the set; otherwise every ordinary table outside the
 * system schemas and extensions.
 */
export async function countRows(
  client: pg.ClientBase,
  tables: readonly string[] = [],
  schemas: readonly string[] = [],
): Promise<Record<string, number>> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND c.relpersistence <> 't'
        AND ${NOT_SYSTEM_SCHEMA} AND ${NOT_EXTENSION_MEMBER}
        AND (cardinality($1::text[]) = 0 OR c.oid = ANY (SELECT to_regclass(t) FROM unnest($1::text[]) t))
        AND (cardinality($2::text[]) = 0 OR n.nspname = ANY ($2::text[]))
      ORDER BY 1, 2`,
    [tables, schemas],
  )
  const counts: Record<string, number> = {}
  for (const table of rows) {
    const result = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${quoteQualified(table.schema, table.name)}`,
    )
    counts[`${table.schema}.${table.name}`] = Number(result.rows[0]!.n)
  }
  return counts
}
