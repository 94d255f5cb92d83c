import { quoteIdent } from '../../db/quote.js'
import type { MigrationOp } from '../migration-op.js'
import { checkOptionKeys, optionKeys } from '../op-arguments.js'
import { type ForeignKeyOptions, renderCreateForeignKey, renderDropConstraint } from '../render-ddl.js'
import { MANAGED, PARTITION_AWARE } from '../sql-executor.js'
import { type RawSql, type RelationName, relation } from '../sql-fragments.js'
import { addPartitionedForeignKey } from './partitioned-foreign-key.js'

/**
 * A foreign key without blocking writes on either table for the length of a scan:
 * added `NOT VALID` (a brief SHARE ROW EXCLUSIVE lock), then validated in a separate
 * transaction (SHARE UPDATE EXCLUSIVE on the table, ROW SHARE on the referenced one;
 * writes continue). On a partitioned table, partition by partition
 * (`addPartitionedForeignKey`). Reverse it with `op.dropConstraint(name, table)`.
 */
export async function addForeignKeySafely(
  op: MigrationOp,
  name: string,
  table: RelationName,
  referencedTable: RelationName,
  columns: readonly string[],
  referencedColumns: readonly string[] = ['id'],
  options: Omit<ForeignKeyOptions, 'notValid'> = {},
): Promise<void> {
  checkOptionKeys(
    `addForeignKeySafely('${name}')`,
    options,
    optionKeys<Omit<ForeignKeyOptions, 'notValid'>>({ onDelete: true, onUpdate: true, deferrable: true }),
  )
  await dropIfPresent(op, name, table)
  const partitions = await op.partitionsOf(table)
  if (partitions !== undefined) {
    const definition = { referencedTable, columns, referencedColumns, options }
    await addPartitionedForeignKey(op, name, table, partitions, definition)
    return
  }
  // Offline the table's kind is unknown: `check` must not hold a partitioned table's
  // NOT VALID against this call, which goes partition by partition when it runs.
  await op.execute(
    renderCreateForeignKey(name, table, referencedTable, columns, referencedColumns, {
      ...options,
      notValid: true,
    }),
    [],
    PARTITION_AWARE,
  )
  await validateApart(op, name, table)
}

/** A CHECK constraint added `NOT VALID`, then validated in its own transaction. */
export async function addCheckSafely(
  op: MigrationOp,
  name: string,
  table: RelationName,
  condition: RawSql | string,
): Promise<void> {
  await dropIfPresent(op, name, table)
  await op.createCheckConstraint(name, table, condition, { notValid: true })
  await validateApart(op, name, table)
}

/** VALIDATE in a transaction of its own, after the ADD has committed (the ADD's lock is gone). */
export async function validateApart(op: MigrationOp, name: string, table: RelationName): Promise<void> {
  await op.autocommit(async () => {
    await op.execute('BEGIN', [], MANAGED)
    await op.validateConstraint(name, table)
    await op.execute('COMMIT', [], MANAGED)
  })
}

/**
 * Makes a column NOT NULL without a scan under ACCESS EXCLUSIVE: `CHECK (col IS NOT NULL)
 * NOT VALID` (a brief lock), `VALIDATE` in its own transaction (writes continue), then
 * `SET NOT NULL`, which PostgreSQL 12+ proves from the validated check, and the check is
 * dropped. Each step may run again.
 */
export async function proveNotNull(
  op: MigrationOp,
  table: RelationName,
  column: string,
  check: string,
): Promise<void> {
  await dropIfPresent(op, check, table)
  await op.createCheckConstraint(check, table, `${quoteIdent(column)} IS NOT NULL`, { notValid: true })
  await validateApart(op, check, table)
  await op.alterColumn(table, column, { nullable: false })
  await op.dropConstraint(check, table)
}

/**
 * `DROP CONSTRAINT IF EXISTS` only when the constraint is there (a re-run): even with
 * nothing to drop, the statement takes ACCESS EXCLUSIVE on the table, so it waits behind
 * every open read of it (a report in a long transaction) while the reads that come after
 * queue behind it. A foreign key's NOT VALID ADD that follows needs only SHARE ROW
 * EXCLUSIVE, which reads do not block. (A CHECK's ADD takes ACCESS EXCLUSIVE itself: one
 * wait fewer.) Offline, where nothing can be looked up, the script says IF EXISTS.
 */
async function dropIfPresent(op: MigrationOp, name: string, table: RelationName): Promise<void> {
  if (!op.offline) {
    if ((await constraintState(op, name, table)) === 'missing') return
    await op.dropConstraint(name, table, { ifExists: true })
    return
  }
  await op.execute(renderDropConstraint(name, table, { ifExists: true }), [], {
    note: `run online only when ${name} is there (a re-run): a first run takes no lock here`,
  })
}

/** Whether `table` has constraint `name`, and validated (online; a recipe's own catalog lookup). */
export async function constraintState(
  op: MigrationOp,
  name: string,
  table: RelationName,
): Promise<'missing' | 'not valid' | 'validated'> {
  const [row] = await op.query<{ convalidated: boolean }>(
    'SELECT convalidated FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2',
    [relation(table), name],
    MANAGED,
  )
  if (row === undefined) return 'missing'
  return row.convalidated ? 'validated' : 'not valid'
}
