import type { Constraint } from 'libpg-query'
import { nameList, relationName } from '../ast.js'
import {
  columnsArray,
  foreignKeyOptionsArgument,
  partitionObjectName,
  REFERENTIAL_ACTIONS,
  sqlIdent,
  sqlTableName,
} from './fix-names.js'

/** PostgreSQL 18 accepts NOT VALID foreign keys on partitioned tables; earlier majors refuse them. */
export const NOT_VALID_ON_PARTITIONED_SINCE = 18

/**
 * How a foreign key gets onto a partitioned table without checking every partition under
 * SHARE ROW EXCLUSIVE, when PostgreSQL refuses NOT VALID there: each partition's own key
 * NOT VALID, then VALIDATE (a transaction of its own; writes continue), then the
 * partitioned table's key, which adopts the validated ones without a scan. `partitions`
 * are the known ones (a placeholder line when none are known). The same as
 * `op.addForeignKeySafely` does when it runs.
 */
export function partitionedForeignKeyRecipe(
  table: string,
  name: string,
  constraint: Constraint,
  partitions: readonly string[],
): string {
  const clause = foreignKeyClause(constraint)
  const steps = (partition: string) => [
    `ALTER TABLE ${sqlTableName(partition)} ADD CONSTRAINT ${partitionObjectName(name, partition)} ${clause} NOT VALID;`,
    `ALTER TABLE ${sqlTableName(partition)} VALIDATE CONSTRAINT ${partitionObjectName(name, partition)};  -- separate transaction: writes continue`,
  ]
  const lines =
    partitions.length === 0
      ? steps('<partition>').map((line, index) => (index === 0 ? `${line}  -- for each partition` : line))
      : partitions.flatMap(steps)
  const referenced = relationName(constraint.pktable)
  lines.push(
    `ALTER TABLE ${sqlTableName(table)} ADD CONSTRAINT ${sqlIdent(name)} ${clause};  -- adopts the partitions' validated keys: no scan, a brief ACCESS EXCLUSIVE on ${referenced} (under lock_timeout)`,
    `TS: await op.addForeignKeySafely('${name}', '${table}', '${referenced}', ${columnsArray(constraint.fk_attrs)}, ${columnsArray(constraint.pk_attrs, ['id'])}${foreignKeyOptionsArgument(constraint)})`,
  )
  return lines.join('\n')
}

/** `FOREIGN KEY (a) REFERENCES t (id) ON DELETE CASCADE ...` as the constraint says it. */
function foreignKeyClause(constraint: Constraint): string {
  const columns = nameList(constraint.fk_attrs).map(sqlIdent).join(', ')
  const referencedColumns = nameList(constraint.pk_attrs).map(sqlIdent)
  const parts = [
    `FOREIGN KEY (${columns}) REFERENCES ${sqlTableName(relationName(constraint.pktable))}${referencedColumns.length > 0 ? ` (${referencedColumns.join(', ')})` : ''}`,
  ]
  if (constraint.fk_matchtype === 'f') parts.push('MATCH FULL')
  const onDelete = REFERENTIAL_ACTIONS[constraint.fk_del_action ?? '']
  const onUpdate = REFERENTIAL_ACTIONS[constraint.fk_upd_action ?? '']
  if (onDelete) parts.push(`ON DELETE ${onDelete}`)
  if (onUpdate) parts.push(`ON UPDATE ${onUpdate}`)
  if (constraint.deferrable)
    parts.push(constraint.initdeferred ? 'DEFERRABLE INITIALLY DEFERRED' : 'DEFERRABLE')
  return parts.join(' ')
}
