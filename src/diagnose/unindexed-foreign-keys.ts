import type pg from 'pg'
import { partitionIndexSteps } from '../db/partition-index-steps.js'
import { quoteIdent, quoteQualified } from '../db/quote.js'
import { EXCLUSIVELY_LOCKED, relationSizeSql } from '../db/relation-size.js'

/**
 * A foreign key no index leads with its columns. Each delete, or key update, of a row
 * of the referenced table then scans the whole referencing table (under a lock that
 * blocks its writers' key updates for as long), and no statistic shows it until it
 * happens: the classic cause of a "simple" DELETE that takes minutes.
 */
export interface UnindexedForeignKey {
  readonly constraint: string
  readonly schema: string
  readonly table: string
  readonly columns: readonly string[]
  readonly referenced: string
  /** The referencing table's size (a partitioned one's: its partitions'): a scan of a small table costs nothing. */
  readonly bytes: number
  /** A partitioned table's direct partitions (regclass names); null for a plain table. */
  readonly partitions: readonly string[] | null
}

/**
 * SQL true when index `index` (a pg_index row) leads with the columns of foreign key
 * `key` (a pg_constraint row), in any order: the lookups of the key's checks can use it.
 */
export function indexLeadsForeignKey(index: string, key: string): string {
  const leading = `(string_to_array(${index}.indkey::text, ' ')::int2[])[1:array_length(${key}.conkey, 1)]`
  return `${leading} @> ${key}.conkey AND ${leading} <@ ${key}.conkey`
}

/** The foreign keys of tables in `schemas` without an index on their columns (valid, not partial). */
export async function readUnindexedForeignKeys(
  client: pg.ClientBase,
  schemas: readonly string[],
): Promise<UnindexedForeignKey[]> {
  const { rows } = await client.query<UnindexedForeignKey>(
    `WITH ${EXCLUSIVELY_LOCKED}
     SELECT c.conname AS constraint, n.nspname AS schema, t.relname AS table,
            array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
            c.confrelid::regclass::text AS referenced,
            (CASE WHEN t.relkind = 'p'
                  THEN (SELECT coalesce(sum(${relationSizeSql('pt.relid')}), 0) FROM pg_partition_tree(c.conrelid) pt WHERE pt.isleaf)
                  ELSE ${relationSizeSql('c.conrelid')} END)::float8 AS bytes,
            CASE WHEN t.relkind = 'p'
                 THEN array(SELECT h.inhrelid::regclass::text FROM pg_inherits h WHERE h.inhparent = c.conrelid ORDER BY 1)
            END AS partitions
       FROM pg_constraint c
       JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      -- A partition's copy of its partitioned table's key (conparentid) is the parent's fix.
      WHERE c.contype = 'f' AND c.conparentid = 0 AND n.nspname = ANY($1)
        AND NOT EXISTS (
          SELECT 1 FROM pg_index x
           WHERE x.indrelid = c.conrelid AND x.indisvalid AND x.indpred IS NULL
             AND ${indexLeadsForeignKey('x', 'c')})
      ORDER BY bytes DESC, 2, 3, 1`,
    [schemas],
  )
  return rows
}

/**
 * `CREATE INDEX CONCURRENTLY "ix_orders_user_id" ON "public"."orders" ("user_id");`, with
 * why. A partitioned table cannot have one built CONCURRENTLY: its own index ON ONLY (no
 * build), each partition's CONCURRENTLY, each attached (op.createIndex does the same).
 */
export function foreignKeyIndexFix(key: UnindexedForeignKey): string {
  const name = `ix_${key.table}_${key.columns.join('_')}`.slice(0, 63)
  const columns = `(${key.columns.map(quoteIdent).join(', ')})`
  const why = `-- for foreign key ${key.constraint}: each delete on ${key.referenced} scans ${key.table} without it`
  if (key.partitions === null)
    return `CREATE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${quoteQualified(key.schema, key.table)} ${columns};  ${why}`
  const parentIndex = quoteQualified(key.schema, name)
  const steps = key.partitions.flatMap((partition) =>
    partitionIndexSteps(parentIndex, name, partition, columns),
  )
  return [
    `CREATE INDEX ${quoteIdent(name)} ON ONLY ${quoteQualified(key.schema, key.table)} ${columns};`,
    ...steps,
    `${why} (partitioned: built partition by partition, as op.createIndex with concurrently does)`,
  ].join(' ')
}
