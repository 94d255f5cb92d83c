import type { DatabaseFailure } from './describe-failure.js'

/** SQLSTATE 0A000 (feature_not_supported): CREATE INDEX CONCURRENTLY on a partitioned table. */
const FEATURE_NOT_SUPPORTED = '0A000'
/** SQLSTATE 42809 (wrong_object_type): ADD FOREIGN KEY ... NOT VALID on one (PostgreSQL 16). */
const WRONG_OBJECT_TYPE = '42809'

/**
 * For the two statements PostgreSQL refuses on a partitioned table that are the safe
 * way on a plain one. Both have a partition-by-partition way round, which the `op`
 * recipes take and `strata check` writes out with the real partitions.
 */
export function partitionedTableHint(failure: DatabaseFailure): string | undefined {
  if (failure.code !== FEATURE_NOT_SUPPORTED && failure.code !== WRONG_OBJECT_TYPE) return undefined
  if (/cannot create index on partitioned table .* concurrently/i.test(failure.message))
    return "a partitioned table's index is built partition by partition: CREATE INDEX ... ON ONLY the table (no build), CREATE INDEX CONCURRENTLY on each partition, then ALTER INDEX ... ATTACH PARTITION for each. In TS op.createIndex(name, table, columns, { concurrently: true }) does all of it; `strata check` prints the statements for this table"
  if (/cannot add NOT VALID foreign key on partitioned table/i.test(failure.message))
    return "before PostgreSQL 18 a partitioned table's foreign key cannot be added NOT VALID: add it NOT VALID to each partition and VALIDATE it there (in its own transaction), then add it to the table, which adopts them without a scan. In TS op.addForeignKeySafely does all of it; `strata check` prints the statements for this table"
  return undefined
}
