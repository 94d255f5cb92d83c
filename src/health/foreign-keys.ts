import type pg from 'pg'
import { quoteQualified } from '../db/quote.js'
import { EXCLUSIVELY_LOCKED, relationSizeSql } from '../db/relation-size.js'

/** One foreign key (or other constraint) as the checks need it. */
export interface ForeignKey {
  readonly schema: string
  readonly table: string
  /** `relkind` of the referencing table: `p` for partitioned. */
  readonly relkind: string
  readonly name: string
  readonly columns: readonly string[]
  readonly refSchema: string
  readonly refTable: string
  readonly refColumns: readonly string[]
  /** `f` for MATCH FULL, `s` for MATCH SIMPLE (the default). */
  readonly matchType: string
  readonly validated: boolean
  /** `reltuples` of the referencing table (estimate; -1 when never analysed). */
  readonly estimatedRows: number
  readonly pages: number
}

/** Every foreign key whose referencing table is in the managed schemas. */
export async function readForeignKeys(
  client: pg.ClientBase,
  schemas: readonly string[],
): Promise<ForeignKey[]> {
  const result = await client.query<ForeignKey>(
    `WITH ${EXCLUSIVELY_LOCKED}
     SELECT n.nspname AS schema, t.relname AS table, t.relkind::text AS relkind, con.conname AS name,
            array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.i) AS columns,
            rn.nspname AS "refSchema", r.relname AS "refTable",
            array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, i)
                  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.i) AS "refColumns",
            con.confmatchtype::text AS "matchType", con.convalidated AS validated,
            t.reltuples::float8 AS "estimatedRows",
            ((${relationSizeSql('t.oid')}) / current_setting('block_size')::int)::int AS pages
       FROM pg_constraint con
       JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
      WHERE con.contype = 'f' AND n.nspname = ANY($1) AND con.conparentid = 0
      ORDER BY 1, 2, 4`,
    [schemas],
  )
  return result.rows
}

/** "public.orders.user_id → public.users.id" */
export function describeForeignKey(key: ForeignKey): string {
  const cols = (list: readonly string[]) => (list.length === 1 ? list[0] : `(${list.join(', ')})`)
  return `${key.name}: ${key.schema}.${key.table}.${cols(key.columns)} → ${key.refSchema}.${key.refTable}.${cols(key.refColumns)}`
}

/** The referencing table, quoted, for SQL. */
export function referencingTable(key: ForeignKey): string {
  return quoteQualified(key.schema, key.table)
}
