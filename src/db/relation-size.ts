/**
 * Relation sizes that never wait behind a lock.
 *
 * `pg_relation_size` and its kin open the relation under ACCESS SHARE, so they queue
 * behind a session holding or awaiting ACCESS EXCLUSIVE on it: a running `ALTER TABLE`,
 * or a migration stuck in the lock queue. That is exactly when an operator asks for
 * sizes, and the read would hang with it (and sit in the queue in front of the
 * application's queries). Where such a lock is held or awaited, these expressions read
 * the catalog's page counts instead (`pg_class.relpages`, as of the last VACUUM or
 * ANALYZE), and say so through `exclusivelyLockedSql`.
 *
 * Each expression needs the `EXCLUSIVELY_LOCKED` common table expression in its query:
 * `WITH ${EXCLUSIVELY_LOCKED} SELECT ...`. A query asking for several of a table's sizes
 * evaluates `exclusivelyLockedSql` once (a LATERAL column) and passes it as `locked`.
 */

/** The relations of this database that a session holds or awaits ACCESS EXCLUSIVE on. */
export const EXCLUSIVELY_LOCKED = `exclusively_locked AS MATERIALIZED (
  SELECT DISTINCT relation FROM pg_locks
   WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock'
     AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`

/** The oids a table's total size is made of: itself, its TOAST table, and their indexes. */
function partsOf(table: string, toast: string): string {
  return `(SELECT ${table} UNION ALL SELECT nullif(${toast}, 0)
           UNION ALL SELECT indexrelid FROM pg_index WHERE indrelid IN (${table}, ${toast}))`
}

/** True when reading the size of table `oid` (or of its TOAST table or an index) would wait. */
export function exclusivelyLockedSql(oid: string, toast: string): string {
  return `EXISTS (SELECT 1 FROM exclusively_locked l WHERE l.relation IN ${partsOf(oid, toast)})`
}

/** Bytes of the catalog's page count for the relations in `oids` (a subquery). */
function estimatedBytes(oids: string): string {
  return `(SELECT coalesce(sum(relpages), 0) FROM pg_class WHERE oid IN ${oids})::bigint * current_setting('block_size')::int`
}

/** `exact` (a size function's call), or the catalog's page count of `oids` where `locked` holds. */
function exactUnlessLocked(locked: string, oids: string, exact: string): string {
  return `CASE WHEN ${locked} THEN ${estimatedBytes(oids)} ELSE ${exact} END`
}

/** The main fork's size of relation `oid` (a table or an index), bytes. */
export function relationSizeSql(oid: string): string {
  return exactUnlessLocked(
    `${oid} IN (SELECT relation FROM exclusively_locked)`,
    `(${oid})`,
    `pg_relation_size(${oid})`,
  )
}

/** A table's size with its TOAST table and indexes, bytes (`pg_total_relation_size`). */
export function totalRelationSizeSql(
  oid: string,
  toast: string,
  locked = exclusivelyLockedSql(oid, toast),
): string {
  return exactUnlessLocked(locked, partsOf(oid, toast), `pg_total_relation_size(${oid})`)
}

/** A table's indexes, bytes (`pg_indexes_size`). */
export function indexesSizeSql(
  oid: string,
  toast: string,
  locked = exclusivelyLockedSql(oid, toast),
): string {
  return exactUnlessLocked(
    locked,
    `(SELECT indexrelid FROM pg_index WHERE indrelid = ${oid})`,
    `pg_indexes_size(${oid})`,
  )
}

/** A table's TOAST table with its index, bytes; 0 without one. */
export function toastSizeSql(oid: string, toast: string, locked = exclusivelyLockedSql(oid, toast)): string {
  const parts = `(SELECT ${toast} UNION ALL SELECT indexrelid FROM pg_index WHERE indrelid = ${toast})`
  return `CASE WHEN ${toast} = 0 THEN 0 ELSE ${exactUnlessLocked(locked, parts, `pg_total_relation_size(${toast})`)} END`
}
