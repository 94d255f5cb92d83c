import { quoteIdent } from '../db/quote.js'
import { type RawSql, type RelationName, relation } from './sql-fragments.js'

/** What `op.backfill` needs to build its statements. */
export interface BackfillShape {
  readonly table: RelationName
  /** Key columns, in index order (the primary key by default). */
  readonly key: readonly string[]
  /** `column = expression` pairs; the expressions may use the row's other columns. */
  readonly set: Readonly<Record<string, RawSql | unknown>>
  /** Rows that still need the change. Rows not matching are skipped and, at the end, none may match. */
  readonly where: RawSql
  readonly batchSize: number
}

/**
 * One batch: the next `batchSize` keys after the last one (a keyset scan over the
 * key's index, never OFFSET), updated in the same statement, returning how many rows
 * changed and the batch's last key. The condition is repeated in the UPDATE so that a
 * row a concurrent writer changed meanwhile is re-checked (PostgreSQL re-evaluates the
 * UPDATE's own WHERE clause on the newest row version).
 */
export function renderBackfillBatch(shape: BackfillShape, hasLastKey: boolean, setSql: string): string {
  const keys = shape.key.map(quoteIdent)
  const aliases = shape.key.map((_, index) => quoteIdent(`__k${index}`))
  const after = hasLastKey
    ? `(${keys.join(', ')}) > (${shape.key.map((_, index) => `$${index + 1}`).join(', ')}) AND `
    : ''
  const target = relation(shape.table)
  return [
    `WITH batch AS (SELECT ${keys.map((key, index) => `${key} AS ${aliases[index]}`).join(', ')} FROM ${target}`,
    `WHERE ${after}(${shape.where.text}) ORDER BY ${keys.join(', ')} LIMIT ${Math.trunc(shape.batchSize)}),`,
    `changed AS (UPDATE ${target} SET ${setSql} FROM batch WHERE (${keys.map((key) => `${target}.${key}`).join(', ')}) = (${aliases.map((alias) => `batch.${alias}`).join(', ')}) AND (${shape.where.text}) RETURNING 1)`,
    `SELECT (SELECT count(*) FROM changed)::bigint AS changed, (SELECT count(*) FROM batch)::bigint AS scanned,`,
    `(SELECT json_build_array(${aliases.map((alias) => `batch.${alias}`).join(', ')}) FROM batch ORDER BY ${aliases.map((alias) => `batch.${alias} DESC`).join(', ')} LIMIT 1) AS last_key`,
  ].join(' ')
}

/** `"a" = <expr>, "b" = <expr>`, with values rendered by the caller's function. */
export function renderSetList(
  set: Readonly<Record<string, unknown>>,
  render: (value: unknown) => string,
): string {
  const entries = Object.entries(set)
  if (entries.length === 0) throw new Error('backfill: `set` names no column')
  return entries.map(([column, value]) => `${quoteIdent(column)} = ${render(value)}`).join(', ')
}

export function checkpointTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.strata_backfill (
  id text PRIMARY KEY,
  table_name text NOT NULL,
  last_key jsonb,
  rows_done bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
)`
}
