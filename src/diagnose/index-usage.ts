import type pg from 'pg'
import { quoteQualified } from '../db/quote.js'
import { EXCLUSIVELY_LOCKED, exclusivelyLockedSql, relationSizeSql } from '../db/relation-size.js'
import { readSequentialScans, type SequentiallyScannedTable } from './sequential-scans.js'
import { readTablesWithoutPrimaryKey, type TableWithoutPrimaryKey } from './tables-without-primary-key.js'
import {
  foreignKeyIndexFix,
  indexLeadsForeignKey,
  readUnindexedForeignKeys,
  type UnindexedForeignKey,
} from './unindexed-foreign-keys.js'

export interface IndexFacts {
  readonly schema: string
  readonly table: string
  readonly index: string
  readonly scans: number
  readonly tuplesRead: number
  readonly tuplesFetched: number
  readonly bytes: number
  readonly unique: boolean
  /** Backs a primary key, unique or exclusion constraint: not droppable on its own. */
  readonly constraint: boolean
  /**
   * The foreign key whose columns lead it: deletes and key updates on the referenced
   * table look rows up through it (they count as scans only once they happen).
   */
  readonly foreignKey: string | null
  readonly valid: boolean
  readonly definition: string
  /**
   * The partitioned table's index this partition's index is attached to: it cannot be
   * dropped on its own (only with that one), so it is never offered as a drop.
   */
  readonly partOf: string | null
}

/** An index whose work another index already does. */
export interface RedundantIndex {
  readonly index: IndexFacts
  readonly coveredBy: IndexFacts
  /** `identical` (same definition) or `prefix` (its columns lead the other). */
  readonly kind: 'identical' | 'prefix'
}

export interface IndexReport {
  /** Every index, least used first. */
  readonly indexes: readonly IndexFacts[]
  /** Never scanned since statistics were reset, not backing a constraint. */
  readonly unused: readonly IndexFacts[]
  readonly redundant: readonly RedundantIndex[]
  readonly invalid: readonly IndexFacts[]
  /** When the statistics behind `scans` start (null: since the server's stats began). */
  readonly statsSince: string | null
  /** Foreign keys no index serves: deletes on the referenced table scan the referencing one. */
  readonly unindexedForeignKeys: readonly UnindexedForeignKey[]
  /** Tables without a primary key, largest first. */
  readonly withoutPrimaryKey: readonly TableWithoutPrimaryKey[]
  /** Tables read mostly by sequential scans of many rows: an index may be missing. */
  readonly sequentialScans: readonly SequentiallyScannedTable[]
  /** Fixes, one statement per unused, redundant or invalid index, and per unindexed foreign key. */
  readonly fixes: readonly string[]
  /**
   * Tables whose indexes are left out: a session holds or awaits ACCESS EXCLUSIVE on
   * the table or an index of it, and reading an index's definition would wait for it.
   */
  readonly lockedTables: readonly string[]
}

interface KeyRow {
  oid: number
  indrelid: number
  keys: string
  opclasses: string
  expressions: string | null
  predicate: string | null
  method: string
  locked: boolean
}

/**
 * Index usage (the guide's `pg_stat_user_indexes` query), and what to do about it:
 * unused indexes, indexes made redundant by an identical or wider one, and invalid
 * indexes left by failed concurrent builds. Scans count on this server only: an index
 * used only on a standby looks unused here.
 */
export async function readIndexUsage(
  client: pg.ClientBase,
  schemas: readonly string[],
): Promise<IndexReport> {
  const { rows: all } = await client.query<IndexFacts & KeyRow>(
    `WITH ${EXCLUSIVELY_LOCKED}
     SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index,
            s.idx_scan::float8 AS scans, s.idx_tup_read::float8 AS "tuplesRead", s.idx_tup_fetch::float8 AS "tuplesFetched",
            (${relationSizeSql('s.indexrelid')})::float8 AS bytes, x.indisunique AS unique,
            EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x')) AS constraint,
            (SELECT min(fk.conname) FROM pg_constraint fk
              WHERE fk.contype = 'f' AND fk.conrelid = x.indrelid
                AND ${indexLeadsForeignKey('x', 'fk')}) AS "foreignKey",
            lk.locked, x.indisvalid AS valid,
            (SELECT h.inhparent::regclass::text FROM pg_inherits h WHERE h.inhrelid = x.indexrelid) AS "partOf",
            CASE WHEN NOT lk.locked THEN pg_get_indexdef(x.indexrelid) END AS definition,
            x.indexrelid::int AS oid, x.indrelid::int AS indrelid, x.indkey::text AS keys, x.indclass::text AS opclasses,
            -- pg_get_expr opens the table (ACCESS SHARE): not while another session holds it exclusively.
            CASE WHEN NOT lk.locked THEN pg_get_expr(x.indexprs, x.indrelid) END AS expressions,
            CASE WHEN NOT lk.locked THEN pg_get_expr(x.indpred, x.indrelid) END AS predicate,
            am.amname AS method
       FROM pg_stat_user_indexes s
       JOIN pg_index x ON x.indexrelid = s.indexrelid
       JOIN pg_class i ON i.oid = s.indexrelid JOIN pg_am am ON am.oid = i.relam
       JOIN pg_class t ON t.oid = x.indrelid
       CROSS JOIN LATERAL (SELECT ${exclusivelyLockedSql('x.indrelid', 't.reltoastrelid')} AS locked) lk
      WHERE s.schemaname = ANY($1)
      ORDER BY s.idx_scan, bytes DESC, 1, 3`,
    [schemas],
  )
  const rows = all.filter((row) => !row.locked)
  const lockedTables = [
    ...new Set(
      all
        .filter((row) => row.locked)
        .map((row) => (row.schema === 'public' ? row.table : `${row.schema}.${row.table}`)),
    ),
  ]
  const since = await client.query<{ since: string | null }>(
    'SELECT stats_reset::text AS since FROM pg_stat_database WHERE datname = current_database()',
  )
  const indexes: IndexFacts[] = rows.map(
    ({
      oid: _o,
      indrelid: _r,
      keys: _k,
      opclasses: _c,
      expressions: _e,
      predicate: _p,
      method: _m,
      locked: _l,
      ...facts
    }) => facts,
  )
  // A unique index is at work on every insert and key update even when no query scans
  // it (idx_scan does not count its uniqueness checks): never "unused", never a fix to drop.
  // Nor is the index a foreign key looks rows up by: dropping it makes each delete on the
  // referenced table scan this one, which no statistic shows until it happens.
  const unused = indexes.filter(
    (index) =>
      index.scans === 0 &&
      !index.constraint &&
      !index.unique &&
      index.foreignKey === null &&
      index.valid &&
      index.partOf === null,
  )
  const invalid = indexes.filter((index) => !index.valid)
  const redundant = findRedundant(rows, indexes)
  const fixes = [
    ...invalid.map(
      (index) =>
        `DROP INDEX CONCURRENTLY ${quoteQualified(index.schema, index.index)};  -- invalid: rebuild it with CREATE INDEX CONCURRENTLY if still wanted`,
    ),
    ...redundant
      .filter((entry) => !entry.index.constraint)
      .map(
        (entry) =>
          `DROP INDEX CONCURRENTLY ${quoteQualified(entry.index.schema, entry.index.index)};  -- ${entry.kind === 'identical' ? 'same as' : 'covered by'} ${entry.coveredBy.index}`,
      ),
    ...unused
      .filter((index) => !redundant.some((entry) => entry.index === index))
      .map(
        (index) =>
          `DROP INDEX CONCURRENTLY ${quoteQualified(index.schema, index.index)};  -- never scanned; check standbys first`,
      ),
  ]
  const unindexedForeignKeys = await readUnindexedForeignKeys(client, schemas)
  fixes.push(...unindexedForeignKeys.map(foreignKeyIndexFix))
  return {
    indexes,
    unused,
    redundant,
    invalid,
    unindexedForeignKeys,
    withoutPrimaryKey: await readTablesWithoutPrimaryKey(client, schemas),
    sequentialScans: await readSequentialScans(client, schemas),
    statsSince: since.rows[0]?.since ?? null,
    fixes,
    lockedTables,
  }
}

/**
 * Pairs on the same table where one index is redundant: the same columns, operator
 * classes, expressions and predicate (identical), or a plain btree whose columns lead
 * another btree's (prefix) and which enforces no uniqueness of its own.
 */
function findRedundant(
  rows: readonly (IndexFacts & KeyRow)[],
  facts: readonly IndexFacts[],
): RedundantIndex[] {
  const found: RedundantIndex[] = []
  for (const [i, a] of rows.entries()) {
    for (const [j, b] of rows.entries()) {
      if (i === j || a.indrelid !== b.indrelid || a.method !== b.method || !a.valid || !b.valid) continue
      if (a.predicate !== b.predicate || a.expressions !== b.expressions) continue
      const sameKeys = a.keys === b.keys && a.opclasses === b.opclasses
      if (sameKeys) {
        // b is redundant when a does all b does: a enforces b's uniqueness, and b backs no
        // constraint of its own. Of two equal ones, the first by name is kept.
        if (b.constraint || b.partOf !== null || (b.unique && !a.unique)) continue
        if (a.unique === b.unique && !a.constraint && a.index > b.index) continue
        found.push({ index: facts[j]!, coveredBy: facts[i]!, kind: 'identical' })
        continue
      }
      if (a.method !== 'btree' || a.unique || a.expressions !== null || a.partOf !== null) continue
      const aKeys = a.keys.split(' ')
      const bKeys = b.keys.split(' ')
      const aClasses = a.opclasses.split(' ')
      const bClasses = b.opclasses.split(' ')
      const leads =
        aKeys.length < bKeys.length &&
        aKeys.every((key, k) => key === bKeys[k] && aClasses[k] === bClasses[k])
      if (leads) found.push({ index: facts[i]!, coveredBy: facts[j]!, kind: 'prefix' })
    }
  }
  // One entry per redundant index; "same as" says more than "covered by".
  const ordered = [...found].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'identical' ? -1 : 1))
  return ordered.filter((entry, index) => ordered.findIndex((other) => other.index === entry.index) === index)
}
