import { quoteIdent } from '../../db/quote.js'
import type { ColumnSpec } from '../column.js'
import type { MigrationOp } from '../migration-op.js'
import { checkOptionKeys, optionKeys } from '../op-arguments.js'
import { baseName, type RawSql, type RelationName } from '../sql-fragments.js'
import { proveNotNull } from './validated-constraint.js'

export interface NotNullColumnOptions {
  /** Value for existing rows, computed from each row (batched): `op.sql('lower(email)')`. */
  readonly backfill?: RawSql
  readonly batchSize?: number
}

/**
 * Adds a NOT NULL column without a long lock (the guide's additive change, made safe):
 * 1. add it nullable with its default: metadata only for a non-volatile default
 *    (with `backfill`: without the default, which is set right after, for new rows);
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
  if (options.backfill) {
    // Without its default at first: existing rows must stay NULL for the backfill to find
    // them; rows inserted from now on get the default.
    const { default: value, ...bare } = column
    await op.addColumn(table, { ...bare, nullable: true }, { ifNotExists: true })
    if (value !== undefined) await op.alterColumn(table, column.name, { default: value })
    await op.backfill({
      table,
      set: { [column.name]: options.backfill },
      where: `${quoteIdent(column.name)} IS NULL`,
      batchSize: options.batchSize ?? 1000,
      name: `${baseName(table)}.${column.name}.not_null`,
    })
  } else {
    await op.addColumn(table, { ...column, nullable: true }, { ifNotExists: true })
  }
  await proveNotNull(op, table, column.name, check)
}
