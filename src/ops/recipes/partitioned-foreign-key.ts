import { hasSqlState, LOCK_NOT_AVAILABLE } from '../../db/sqlstate.js'
import { jitteredBackoff } from '../../util/backoff.js'
import type { MigrationOp } from '../migration-op.js'
import { type ForeignKeyOptions, renderCreateForeignKey } from '../render-ddl.js'
import { MANAGED } from '../sql-executor.js'
import { type RelationName, relation } from '../sql-fragments.js'
import { constraintState, validateApart } from './validated-constraint.js'

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
 * table's key, added last, adopts them without a scan. That last ADD takes a brief
 * ACCESS EXCLUSIVE lock on the referenced table (PostgreSQL drops the partitions' own
 * triggers there): it runs in a transaction of its own, its locks taken up front and
 * retried (adoptPartitionKeys). A re-run keeps the partitions' keys already validated.
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
    const state = await constraintState(op, key, partition)
    if (state === 'validated') continue
    const subPartitions = await op.partitionsOf(partition)
    if (subPartitions !== undefined) {
      await addPartitionedForeignKey(op, key, partition, subPartitions, definition, rootName)
      continue
    }
    if (state === 'missing') await addForeignKey(op, key, partition, definition, true)
    await validateApart(op, key, partition)
  }
  await adoptPartitionKeys(op, name, table, definition)
}

/**
 * How long each lock of the adopting ADD may wait: less than PostgreSQL's default
 * deadlock_timeout (1 s). The ADD locks the table's partitions one by one and, partway,
 * the referenced table ACCESS EXCLUSIVE; an application transaction holding a row lock
 * there while it writes a partition closes a cycle. With the locks taken up front in
 * one order and given up early, the step retries instead of the deadlock detector
 * cancelling the application's transaction (seen under a concurrent writer).
 */
const ADOPT_LOCK_TIMEOUT = '500ms'
const ADOPT_ATTEMPTS = 10

/** The partitioned table's own key, in a transaction of its own, retried on a lock timeout. */
async function adoptPartitionKeys(
  op: MigrationOp,
  name: string,
  table: RelationName,
  definition: ForeignKeyDefinition,
): Promise<void> {
  await op.autocommit(async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        await op.execute('BEGIN', [], MANAGED)
        await op.execute(`SET LOCAL lock_timeout = '${ADOPT_LOCK_TIMEOUT}'`, [], MANAGED)
        // The table with its partitions (LOCK TABLE takes them all), then the referenced one.
        await op.execute(`LOCK TABLE ${relation(table)} IN SHARE ROW EXCLUSIVE MODE`)
        await op.execute(`LOCK TABLE ${relation(definition.referencedTable)} IN ACCESS EXCLUSIVE MODE`)
        await addForeignKey(op, name, table, definition, false)
        await op.execute('COMMIT', [], MANAGED)
        return
      } catch (error) {
        await op.execute('ROLLBACK', [], MANAGED)
        if (!hasSqlState(error, LOCK_NOT_AVAILABLE) || attempt >= ADOPT_ATTEMPTS) throw error
        await new Promise((resolve) => setTimeout(resolve, jitteredBackoff(attempt + 1, 200, 5000)))
      }
    }
  })
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
