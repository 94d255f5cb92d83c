import type pg from 'pg'
import { quoteIdent, quoteQualified } from '../db/quote.js'
import { EXCLUSIVELY_LOCKED, relationSizeSql } from '../db/relation-size.js'

/**
 * A table with no primary key. Logical replication (a blue-green switch, a major
 * upgrade by replication) cannot replicate its UPDATEs and DELETEs without a replica
 * identity, duplicate rows can creep in unseen, and Strata's batched recipes
 * (`op.backfill`, `op.changeColumnType`) need a key to walk it by.
 */
export interface TableWithoutPrimaryKey {
  readonly schema: string
  readonly table: string
  readonly bytes: number
  /** The planner's row estimate (`reltuples`); -1 when the table was never analysed. */
  readonly rows: number
  /**
   * A valid unique index on NOT NULL columns, without predicate or expressions, that can
   * become the primary key as it is (`ADD PRIMARY KEY USING INDEX`: no scan, no build).
   */
  readonly candidate: string | null
  /** Its columns. */
  readonly candidateColumns: readonly string[] | null
  /** `REPLICA IDENTITY FULL` or an index: logical replication works, if slowly for FULL. */
  readonly replicaIdentity: 'default' | 'full' | 'index' | 'nothing'
}

/**
 * The ordinary and partitioned tables of `schemas` without a primary key (partitions
 * are their parent's business). Reads the catalogs only: no table is locked.
 */
export async function readTablesWithoutPrimaryKey(
  client: pg.ClientBase,
  schemas: readonly string[],
): Promise<TableWithoutPrimaryKey[]> {
  const { rows } = await client.query<TableWithoutPrimaryKey>(
    `WITH ${EXCLUSIVELY_LOCKED}
     SELECT n.nspname AS schema, t.relname AS table,
            (${relationSizeSql('t.oid')})::float8 AS bytes, t.reltuples::float8 AS rows,
            k.candidate, k.columns AS "candidateColumns",
            CASE t.relreplident WHEN 'd' THEN 'default' WHEN 'f' THEN 'full' WHEN 'i' THEN 'index' ELSE 'nothing' END
              AS "replicaIdentity"
       FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
       LEFT JOIN LATERAL (
         SELECT i.relname AS candidate,
                array(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
          WHERE x.indrelid = t.oid AND x.indisunique AND x.indisvalid AND x.indpred IS NULL AND x.indexprs IS NULL
            AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                             WHERE a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey::int2[]) AND NOT a.attnotnull)
          ORDER BY x.indnatts, i.relname LIMIT 1) k ON true
      WHERE t.relkind IN ('r', 'p') AND NOT t.relispartition AND n.nspname = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = t.oid AND c.contype = 'p')
      ORDER BY bytes DESC, 1, 2`,
    [schemas],
  )
  return rows
}

/**
 * The statement that gives the table its primary key without a scan or a build, when an
 * index can become one; undefined otherwise (a migration has to add a key column).
 */
export function primaryKeyFix(table: TableWithoutPrimaryKey): string | undefined {
  if (table.candidate === null) return undefined
  return `ALTER TABLE ${quoteQualified(table.schema, table.table)} ADD PRIMARY KEY USING INDEX ${quoteIdent(table.candidate)};  -- (${table.candidateColumns!.join(', ')}) are unique and NOT NULL already: a brief ACCESS EXCLUSIVE lock, no scan`
}
