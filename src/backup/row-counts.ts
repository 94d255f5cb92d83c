import type pg from 'pg'
import { NOT_EXTENSION_MEMBER, NOT_SYSTEM_SCHEMA } from '../db/catalog-filters.js'
import { quoteQualified } from '../db/quote.js'
import { parseSchemaPattern, parseTablePattern, type TablePattern } from './table-arguments.js'

/**
 * Exact row counts of the tables a backup holds, as `schema.table` → rows. Run inside
 * the snapshot pg_dump reads, the counts describe exactly what the archive contains.
 * `tables` (from `-t`) and `schemas` (`-n`) narrow the set, matched as pg_dump matches
 * them (so the counts cover exactly the tables it dumps): wildcards, case folded outside
 * double quotes, and a table without a schema only when visible on the search path.
 * Otherwise every ordinary table outside the system schemas and extensions.
 * `withoutData` (`schema.table`, left out by `--exclude-table-data`): those tables are in
 * the archive without rows, so their count is 0, and they are not read.
 */
export async function countRows(
  client: pg.ClientBase,
  tables: readonly string[] = [],
  schemas: readonly string[] = [],
  withoutData: readonly string[] = [],
): Promise<Record<string, number>> {
  const patterns = tables.map(parseTablePattern)
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND c.relpersistence <> 't'
        AND ${NOT_SYSTEM_SCHEMA} AND ${NOT_EXTENSION_MEMBER}
        AND (cardinality($1::text[]) = 0 OR ${matchesAny('$1', '$2')})
        AND (cardinality($3::text[]) = 0 OR n.nspname ~ ANY ($3::text[]))
      ORDER BY 1, 2`,
    [...patternArrays(patterns), schemas.map((schema) => parseSchemaPattern(schema).regex.source)],
  )
  const counts: Record<string, number> = {}
  for (const table of rows) {
    if (withoutData.includes(`${table.schema}.${table.name}`)) {
      counts[`${table.schema}.${table.name}`] = 0
      continue
    }
    const result = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${quoteQualified(table.schema, table.name)}`,
    )
    counts[`${table.schema}.${table.name}`] = Number(result.rows[0]!.n)
  }
  return counts
}

/**
 * SQL true when table `c` (schema `n`) matches one of the patterns passed as two
 * parallel arrays of regexes (schema, or null for "visible on the search path"; table),
 * as pg_dump matches its -t patterns.
 */
function matchesAny(schemaRegexes: string, tableRegexes: string): string {
  return `EXISTS (
              SELECT FROM unnest(${schemaRegexes}::text[], ${tableRegexes}::text[]) AS pattern(schema_regex, table_regex)
               WHERE ${tableMatches('pattern')})`
}

/** SQL true when table `c` (schema `n`) matches the pattern row `alias` (schema_regex, table_regex). */
function tableMatches(alias: string): string {
  return `c.relname ~ ${alias}.table_regex
                 AND CASE WHEN ${alias}.schema_regex IS NULL THEN pg_table_is_visible(c.oid)
                          ELSE n.nspname ~ ${alias}.schema_regex END`
}

/** The two arrays `matchesAny` reads. */
function patternArrays(patterns: readonly TablePattern[]): [(string | null)[], string[]] {
  return [
    patterns.map((pattern) => pattern.schema?.regex.source ?? null),
    patterns.map((pattern) => pattern.table.regex.source),
  ]
}

/**
 * The ordinary and partitioned tables (`schema.table`) each pattern matches, as pg_dump
 * matches it, and the partitions that hold the rows of the partitioned ones (a pattern
 * naming a partitioned table does not reach its partitions' data in pg_dump before 16).
 */
export async function tablesMatching(
  client: pg.ClientBase,
  patterns: readonly string[],
): Promise<{ pattern: string; tables: string[]; partitions: string[] }[]> {
  if (patterns.length === 0) return []
  const { rows } = await client.query<{ i: string; tables: string[]; partitions: string[] }>(
    `SELECT pattern.i,
            array_remove(array_agg(n.nspname || '.' || c.relname ORDER BY n.nspname, c.relname), NULL) AS tables,
            array(SELECT DISTINCT pn.nspname || '.' || pc.relname
                    FROM unnest(array_remove(array_agg(c.oid) FILTER (WHERE c.relkind = 'p'), NULL)) AS parent(oid)
                    CROSS JOIN LATERAL pg_partition_tree(parent.oid) tree
                    JOIN pg_class pc ON pc.oid = tree.relid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                   WHERE tree.isleaf ORDER BY 1) AS partitions
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS pattern(schema_regex, table_regex, i)
       LEFT JOIN (pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace)
         ON c.relkind IN ('r', 'p') AND ${NOT_SYSTEM_SCHEMA} AND ${tableMatches('pattern')}
      GROUP BY pattern.i ORDER BY pattern.i`,
    patternArrays(patterns.map(parseTablePattern)),
  )
  return rows.map((row) => ({
    pattern: patterns[Number(row.i) - 1]!,
    tables: row.tables,
    partitions: row.partitions,
  }))
}
