import type { MigrationOp } from '../migration-op.js'
import { type ForeignKeyOptions, renderCreateForeignKey } from '../render-ddl.js'
import { type RelationName, relation } from '../sql-fragments.js'
import { validateApart } from './validated-constraint.js'

type Partition = { schema: string; name: string }

/** What a foreign key needs besides its name and table. */
export interface ForeignKeyDefinition {
  readonly referencedTable: RelationName
  readonly columns: readonly string[]
  readonly referencedColumns: readonly string[]
  readonly options: Omit<ForeignKeyOptions, 'notValid'>
}

/**
 * A foreign key on a partitioned table without a scan under a blocking lock. PostgreSQL
 * (before 18) refuses `NOT VALID` there, and a plain ADD checks every partition while
 * holding SHARE ROW EXCLUSIVE on all of them and on the referenced table. So each
 * partition gets its own key, `<name>_<partition>` (a sub-partition's too), added NOT
 * VALID and validated in a transaction of its own (writes continue); the partitioned
 * table's key, added last, adopts them without a scan. That last ADD takes a brief ACCESS EXCLUSIVE lock on the
 * referenced table (PostgreSQL drops the partitions' own triggers there), under the
 * migration's lock_timeout. A re-run keeps the partitions' keys already validated.
 */
export async function addPartitionedForeignKey(
  op: MigrationOp,
  name: string,
  table: RelationName,
  partitions: readonly Partition[],
  definition: ForeignKeyDefinition,
  rootName = name,
): Promise<void> {
  for (const partition of partitions) {
    const key = `${rootName}_${partition.name}`.slice(0, 63)
    const state = await foreignKeyState(op, key, partition)
    if (state === 'validated') continue
    const subPartitions = await op.partitionsOf(partition)
    if (subPartitions !== undefined) {
      await addPartitionedForeignKey(op, key, partition, subPartitions, definition, rootName)
      continue
    }
    if (state === 'missing') await addForeignKey(op, key, partition, definition, true)
    await validateApart(op, key, partition)
  }
  await addForeignKey(op, name, table, definition, false)
}

function addForeignKey(
  op: MigrationOp,
  name: string,
  table: RelationName,
  definition: ForeignKeyDefinition,
  notValid: boolean,
): Promise<void> {
  const { referencedTable, columns, referencedColumns, options } = definition
  return op.execute(
    renderCreateForeignKey(name, table, referencedTable, columns, referencedColumns, {
      ...options,
      notValid,
    }),
  )
}

async function foreignKeyState(
  op: MigrationOp,
  name: string,
  table: Partition,
): Promise<'missing' | 'not valid' | 'validated'> {
  const [row] = await op.query<{ convalidated: boolean }>(
    "SELECT convalidated FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2 AND contype = 'f'",
    [relation(table), name],
  )
  if (row === undefined) return 'missing'
  return row.convalidated ? 'validated' : 'not valid'
}
