import { quoteIdent } from '../../db/quote.js'
import type { MigrationOp } from '../migration-op.js'
import { checkOptionKeys, optionKeys } from '../op-arguments.js'
import { MANAGED } from '../sql-executor.js'
import {
  baseName,
  type RawSql,
  type RelationName,
  relation,
  splitName,
  sql,
  typeName,
} from '../sql-fragments.js'
import { proveNotNull } from './validated-constraint.js'

export interface ChangeColumnTypeOptions {
  /** The new value, as an expression over the row (default `"column"::newType`). */
  readonly using?: RawSql | string
  readonly batchSize?: number
  /**
   * Unique, NOT NULL columns the backfill pages by, for a table without a primary key
   * (a partitioned table's unique key includes its partition key: `['id', 'created_at']`).
   */
  readonly key?: readonly string[]
}

const CHANGE_TYPE_KEYS = optionKeys<ChangeColumnTypeOptions>({ using: true, batchSize: true, key: true })

/** Names the recipe uses; `<column>_strata_old` keeps the old values until a contract migration drops it. */
export function typeChangeNames(table: RelationName, column: string) {
  const { schema, name } = splitName(table)
  const prefix = schema ? `${quoteIdent(schema)}.` : ''
  return {
    shadow: `${column}_strata_new`.slice(0, 63),
    old: `${column}_strata_old`.slice(0, 63),
    trigger: `strata_sync_${column}`.slice(0, 63),
    fn: `${prefix}${quoteIdent(`strata_sync_${name}_${column}`.slice(0, 63))}`,
  }
}

/**
 * Changes a column's type without rewriting the table under an exclusive lock (the
 * guide's Scenario 2, done safely):
 * 1. add `<column>_strata_new` of the new type;
 * 2. a trigger fills it on every insert and update, so writers keep both in step;
 * 3. existing rows are backfilled in batches;
 * 4. NOT NULL, if the column had it, is proven with a validated CHECK;
 * 5. one short transaction swaps the names: the column keeps its name with the new
 *    type, the old values stay in `<column>_strata_old` (NOT NULL dropped), for the
 *    downgrade and for a later contract migration to drop.
 * Indexes and constraints on the old column are not moved: recreate them on the new
 * one (CONCURRENTLY) before the swap. Downgrade: `op.revertColumnType`.
 */
export async function changeColumnType(
  op: MigrationOp,
  table: RelationName,
  column: string,
  newType: string,
  options: ChangeColumnTypeOptions = {},
): Promise<void> {
  checkOptionKeys(`changeColumnType('${baseName(table)}', '${column}')`, options, CHANGE_TYPE_KEYS)
  // Its steps commit one by one (the swap in a short transaction of its own).
  await op.autocommit(() => changeType(op, table, column, newType, options))
}

async function changeType(
  op: MigrationOp,
  table: RelationName,
  column: string,
  newType: string,
  options: ChangeColumnTypeOptions,
): Promise<void> {
  const names = typeChangeNames(table, column)
  const using = usingExpression(options, column, newType)
  if (!op.offline && (await typeAlreadySwapped(op, table, column, names, newType))) {
    op.context.runtime?.onNotice?.(
      `${baseName(table)}.${column} is ${newType} already, its old values in ${names.old}: an earlier run of this migration swapped it`,
    )
    return
  }
  // The key the backfill pages by, found before the first step: without one, nothing is changed.
  const key = options.key ?? (op.offline ? undefined : await op.primaryKeyOf(table))
  const notNull = op.offline
    ? false
    : (
        await op.query<{ attnotnull: boolean }>(
          'SELECT attnotnull FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2',
          [relation(table), column],
          MANAGED,
        )
      )[0]?.attnotnull === true
  await op.addColumn(table, { name: names.shadow, type: newType }, { ifNotExists: true })
  await syncTrigger(op, table, names, names.shadow, using)
  await op.backfill({
    table,
    set: { [names.shadow]: sql(using) },
    where: `${quoteIdent(names.shadow)} IS NULL AND ${quoteIdent(column)} IS NOT NULL`,
    batchSize: options.batchSize ?? 1000,
    name: `${baseName(table)}.${column}.type`,
    ...(key === undefined ? {} : { key }),
  })
  if (notNull)
    await proveNotNull(op, table, names.shadow, `${baseName(table)}_${names.shadow}_nn`.slice(0, 63))
  await op.execute('BEGIN', [], MANAGED)
  await dropSyncTrigger(op, table, names)
  await op.execute(
    `ALTER TABLE ${relation(table)} RENAME COLUMN ${quoteIdent(column)} TO ${quoteIdent(names.old)}`,
  )
  await op.execute(`ALTER TABLE ${relation(table)} ALTER COLUMN ${quoteIdent(names.old)} DROP NOT NULL`)
  await op.execute(
    `ALTER TABLE ${relation(table)} RENAME COLUMN ${quoteIdent(names.shadow)} TO ${quoteIdent(column)}`,
  )
  await op.execute('COMMIT', [], MANAGED)
}

/**
 * The downgrade of `changeColumnType`: rows written since the swap are copied back
 * into `<column>_strata_old` with `using` (an expression over the row converting the
 * new value to the old type), then the names swap back and the new column goes.
 */
export async function revertColumnType(
  op: MigrationOp,
  table: RelationName,
  column: string,
  oldType: string,
  options: ChangeColumnTypeOptions = {},
): Promise<void> {
  checkOptionKeys(`revertColumnType('${baseName(table)}', '${column}')`, options, CHANGE_TYPE_KEYS)
  await op.autocommit(() => revertType(op, table, column, oldType, options))
}

async function revertType(
  op: MigrationOp,
  table: RelationName,
  column: string,
  oldType: string,
  options: ChangeColumnTypeOptions,
): Promise<void> {
  const names = typeChangeNames(table, column)
  const using = usingExpression(options, column, oldType)
  // An earlier run of this downgrade swapped the names back and dropped the new column.
  if (!op.offline && (await columnType(op, table, names.old)) === undefined) {
    op.context.runtime?.onNotice?.(
      `${baseName(table)}.${column} has no ${names.old} to go back to: an earlier run of this downgrade swapped it back already`,
    )
    return
  }
  await syncTrigger(op, table, names, names.old, using)
  await op.backfill({
    table,
    set: { [names.old]: sql(using) },
    where: `${quoteIdent(names.old)} IS DISTINCT FROM (${using})`,
    batchSize: options.batchSize ?? 1000,
    name: `${baseName(table)}.${column}.type.revert`,
    ...(options.key === undefined ? {} : { key: options.key }),
  })
  await op.execute('BEGIN', [], MANAGED)
  await dropSyncTrigger(op, table, names)
  await op.execute(`ALTER TABLE ${relation(table)} DROP COLUMN ${quoteIdent(column)}`)
  await op.execute(
    `ALTER TABLE ${relation(table)} RENAME COLUMN ${quoteIdent(names.old)} TO ${quoteIdent(column)}`,
  )
  await op.execute('COMMIT', [], MANAGED)
}

/**
 * True when the swap is done: the old values sit in `<column>_strata_old`, the shadow
 * column is gone, and the column has the new type. That is what a run interrupted after
 * the swap (by a later step of its migration) leaves; run again, the recipe must not
 * rename the column a second time.
 */
async function typeAlreadySwapped(
  op: MigrationOp,
  table: RelationName,
  column: string,
  names: ReturnType<typeof typeChangeNames>,
  newType: string,
): Promise<boolean> {
  if ((await columnType(op, table, names.old)) === undefined) return false
  if ((await columnType(op, table, names.shadow)) !== undefined) return false
  const [row] = await op.query<{ same: boolean }>(
    `SELECT a.atttypid = to_regtype($3) AS same FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
    [relation(table), column, newType],
    MANAGED,
  )
  return row?.same === true
}

/** The column's type oid, or undefined when the table has no such column. */
async function columnType(op: MigrationOp, table: RelationName, column: string): Promise<number | undefined> {
  const [row] = await op.query<{ type: number }>(
    `SELECT atttypid::int AS type FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped`,
    [relation(table), column],
    MANAGED,
  )
  return row?.type
}

/** A BEFORE INSERT OR UPDATE trigger that sets `target` from `using`, evaluated on the new row. */
async function syncTrigger(
  op: MigrationOp,
  table: RelationName,
  names: ReturnType<typeof typeChangeNames>,
  target: string,
  using: string,
): Promise<void> {
  await op.execute('BEGIN', [], MANAGED)
  await op.execute(
    `CREATE OR REPLACE FUNCTION ${names.fn}() RETURNS trigger LANGUAGE plpgsql AS $strata$ BEGIN NEW.${quoteIdent(target)} := (SELECT ${using} FROM (SELECT NEW.*) AS row_source); RETURN NEW; END $strata$`,
  )
  await op.execute(`DROP TRIGGER IF EXISTS ${quoteIdent(names.trigger)} ON ${relation(table)}`)
  await op.execute(
    `CREATE TRIGGER ${quoteIdent(names.trigger)} BEFORE INSERT OR UPDATE ON ${relation(table)} FOR EACH ROW EXECUTE FUNCTION ${names.fn}()`,
  )
  await op.execute('COMMIT', [], MANAGED)
}

/** The conversion to apply: the caller's, or a plain cast of the column to `type`. */
function usingExpression(options: ChangeColumnTypeOptions, column: string, type: string): string {
  if (typeof options.using === 'string') return options.using
  return options.using?.text ?? `${quoteIdent(column)}::${typeName(type)}`
}

async function dropSyncTrigger(
  op: MigrationOp,
  table: RelationName,
  names: ReturnType<typeof typeChangeNames>,
): Promise<void> {
  await op.execute(`DROP TRIGGER IF EXISTS ${quoteIdent(names.trigger)} ON ${relation(table)}`)
  await op.execute(`DROP FUNCTION IF EXISTS ${names.fn}()`)
}
