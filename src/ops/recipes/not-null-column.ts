import { isKnownVolatileFunction } from '../../analysis/column-types.js'
import { quoteIdent } from '../../db/quote.js'
import type { ColumnSpec } from '../column.js'
import type { MigrationOp } from '../migration-op.js'
import { checkOptionKeys, optionKeys } from '../op-arguments.js'
import { MANAGED } from '../sql-executor.js'
import { baseName, isRawSql, type RawSql, type RelationName } from '../sql-fragments.js'
import { proveNotNull } from './validated-constraint.js'

export interface NotNullColumnOptions {
  /** Value for existing rows, computed from each row (batched): `op.sql('lower(email)')`. */
  readonly backfill?: RawSql
  readonly batchSize?: number
}

/**
 * Adds a NOT NULL column without a long lock (the guide's additive change, made safe):
 * 1. add it nullable with its default: metadata only for a non-volatile default
 *    (with `backfill`, or a volatile default such as `gen_random_uuid()`, which ADD
 *    COLUMN would compute for every row in a rewrite: without the default, which is set
 *    right after, for new rows);
 * 2. backfill existing rows in batches when `backfill` is given;
 * 3. `CHECK (col IS NOT NULL) NOT VALID`: a brief lock;
 * 4. `VALIDATE` in its own transaction: scans without blocking writes;
 * 5. `SET NOT NULL`: PostgreSQL 12+ proves it from the validated check, no scan;
 * 6. drop the now redundant check.
 * Every step may run again, so an interrupted migration can simply be re-run.
 * Reverse it with `op.dropColumn(table, column.name)`.
 */
export async function addNotNullColumn(
  op: MigrationOp,
  table: RelationName,
  column: ColumnSpec,
  options: NotNullColumnOptions = {},
): Promise<void> {
  checkOptionKeys(
    `addNotNullColumn('${baseName(table)}')`,
    options,
    optionKeys<NotNullColumnOptions>({ backfill: true, batchSize: true }),
  )
  const check = `${baseName(table)}_${column.name}_not_null`.slice(0, 63)
  // A volatile default (gen_random_uuid(), nextval) would be computed for every row by
  // ADD COLUMN itself: a rewrite of the table under ACCESS EXCLUSIVE. It is backfilled in
  // batches instead, each existing row getting its own value as ADD COLUMN would give it.
  const backfill =
    options.backfill ??
    (isRawSql(column.default) && (await isVolatile(op, column.default.text)) ? column.default : undefined)
  if (backfill) {
    // Without its default at first: existing rows must stay NULL for the backfill to find
    // them; rows inserted from now on get the default.
    const { default: value, ...bare } = column
    await op.addColumn(table, { ...bare, nullable: true }, { ifNotExists: true })
    if (value !== undefined) await op.alterColumn(table, column.name, { default: value })
    await op.backfill({
      table,
      set: { [column.name]: backfill },
      where: `${quoteIdent(column.name)} IS NULL`,
      batchSize: options.batchSize ?? 1000,
      name: `${baseName(table)}.${column.name}.not_null`,
    })
  } else {
    await op.addColumn(table, { ...column, nullable: true }, { ifNotExists: true })
  }
  await proveNotNull(op, table, column.name, check)
}

/**
 * Whether an SQL expression calls a volatile function or holds a subquery: online as the
 * server's catalog says (any overload of a name it calls), offline from the names known
 * to be volatile.
 */
async function isVolatile(op: MigrationOp, expression: string): Promise<boolean> {
  if (/\(\s*select\b/i.test(expression)) return true
  const names = [...expression.matchAll(/([A-Za-z_][A-Za-z0-9_$]*)\s*\(/g)].map((match) =>
    match[1]!.toLowerCase(),
  )
  if (names.length === 0) return false
  if (op.offline) return names.some(isKnownVolatileFunction)
  const [row] = await op.query<{ volatile: boolean }>(
    "SELECT coalesce(bool_or(provolatile = 'v'), false) AS volatile FROM pg_proc WHERE proname = ANY ($1::text[])",
    [names],
    MANAGED,
  )
  return row?.volatile === true
}
