import type pg from 'pg'
import { NOT_EXTENSION_MEMBER, NOT_SYSTEM_SCHEMA } from '../db/catalog-filters.js'
import { quoteQualified } from '../db/quote.js'
import { parseSchemaPattern, parseTablePattern } from './table-arguments.js'

/**
 * Exact row counts of the tables a backup holds, as `schema.table` → rows. Run inside
 * the snapshot pg_dump reads, the counts describe exactly what the archive contains.
 * `tables` (from `-t`) and `schemas` (`-n`) narrow the set, matched as pg_dump matches
 * them (so the counts cover exactly the tables it dumps): wildcards, case folded outside
 * double quotes, and a table without a schema only when visible on the search path.
 * Otherwise every ordinary table outside the system schemas and extensions.
 */
export async function countRows(
  client: pg.ClientBase,
  tables: readonly string[] = [],
  schemas: readonly string[] = [],
): Promise<Record<string, number>> {
  const patterns = tables.map(parseTablePattern)
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND c.relpersistence <> 't'
        AND ${NOT_SYSTEM_SCHEMA} AND ${NOT_EXTENSION_MEMBER}
        AND (cardinality($1::text[]) = 0 OR EXISTS (
              SELECT FROM unnest($1::text[], $2::text[]) AS pattern(schema_regex, table_regex)
               WHERE c.relname ~ pattern.table_regex
                 AND CASE WHEN pattern.schema_regex IS NULL THEN pg_table_is_visible(c.oid)
                          ELSE n.nspname ~ pattern.schema_regex END))
        AND (cardinality($3::text[]) = 0 OR n.nspname ~ ANY ($3::text[]))
      ORDER BY 1, 2`,
    [
      patterns.map((pattern) => pattern.schema?.regex.source ?? null),
      patterns.map((pattern) => pattern.table.regex.source),
      schemas.map((schema) => parseSchemaPattern(schema).regex.source),
    ],
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
