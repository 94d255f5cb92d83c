import type pg from 'pg'
import { partitionIndexSteps } from '../db/partition-index-steps.js'
import { quoteQualified } from '../db/quote.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'

interface BrokenIndex {
  schema: string
  name: string
  table: string
  indisvalid: boolean
  indisready: boolean
  building: boolean
  definition: string
  /** A partitioned table's own index (no storage; valid once each partition's is attached). */
  partitioned: boolean
  /** Its partitions without a valid index attached to it, as regclass names. */
  unattached: string[]
}

/**
 * "All indexes present": no index is invalid or not ready (what a failed or cancelled
 * `CREATE INDEX CONCURRENTLY` leaves behind; it costs writes and serves no reads), and
 * every index the migrations create exists. `missing` comes from the drift comparison;
 * undefined when no scratch database could be built, and the summary says so.
 */
export async function checkIndexes(
  client: pg.ClientBase,
  schemas: readonly string[],
  missing: readonly string[] | undefined,
): Promise<CheckOutcome> {
  const broken = await client.query<BrokenIndex>(
    `SELECT n.nspname AS schema, i.relname AS name, t.relname AS table, x.indisvalid, x.indisready,
            EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.oid) AS building,
            pg_get_indexdef(i.oid) AS definition, i.relkind = 'I' AS partitioned,
            array(SELECT h.inhrelid::regclass::text FROM pg_inherits h
                   WHERE i.relkind = 'I' AND h.inhparent = x.indrelid
                     AND NOT EXISTS (SELECT 1 FROM pg_inherits ih JOIN pg_index pi ON pi.indexrelid = ih.inhrelid
                                      WHERE ih.inhparent = i.oid AND pi.indrelid = h.inhrelid AND pi.indisvalid)
                   ORDER BY 1) AS unattached
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = i.relnamespace
      WHERE n.nspname = ANY($1) AND (NOT x.indisvalid OR NOT x.indisready)
      ORDER BY 1, 2`,
    [schemas],
  )
  const total = await client.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = ANY($1)`,
    [schemas],
  )
  const details: string[] = []
  let failures = 0
  let building = 0
  for (const index of broken.rows) {
    const name = `${index.schema}.${index.name}`
    if (index.building) {
      building += 1
      details.push(
        `${name} on ${index.table} is being built right now (CREATE INDEX CONCURRENTLY in progress)`,
      )
      continue
    }
    failures += 1
    if (index.partitioned) {
      details.push(partitionedIndexDetail(index, name))
      continue
    }
    const state = index.indisready ? 'INVALID' : 'INVALID and not ready'
    details.push(
      `${name} on ${index.table} is ${state}, left by a failed concurrent build: it slows writes and serves no reads. Fix: DROP INDEX CONCURRENTLY ${quoteQualified(index.schema, index.name)}; then run the migration again (or: ${index.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ')})${duplicateHint(index)}`,
    )
  }
  for (const definition of missing ?? []) {
    failures += 1
    details.push(`missing: ${definition} (the migrations create it; the database does not have it)`)
  }
  const count = total.rows[0]!.count
  const unchecked =
    missing === undefined ? '; indexes from the migrations not compared (no scratch database)' : ''
  if (failures > 0) {
    const parts = [
      broken.rows.length - building > 0 ? `${broken.rows.length - building} invalid` : '',
      (missing?.length ?? 0) > 0 ? `${missing!.length} missing` : '',
    ].filter(Boolean)
    return { status: 'fail', summary: `${parts.join(', ')} of ${plural(count, 'index', 'indexes')}`, details }
  }
  if (building > 0)
    return {
      status: 'warn',
      summary: `${plural(building, 'index', 'indexes')} still being built${unchecked}`,
      details,
    }
  return {
    status: 'ok',
    summary: `${plural(count, 'index', 'indexes')} valid${missing === undefined ? unchecked : ', all the migrations create are present'}`,
  }
}

/** A unique build fails on duplicate keys: the query that finds them, so they are fixed before the retry. */
function duplicateHint(index: BrokenIndex): string {
  const columns = /^CREATE UNIQUE INDEX .* USING \w+ \((.*)\)$/.exec(index.definition)?.[1]
  if (columns === undefined) return ''
  return `. A unique build fails on duplicate keys; find them first: SELECT ${columns}, count(*) FROM ${index.schema}.${index.table} GROUP BY ${columns} HAVING count(*) > 1`
}

/**
 * A partitioned table's index stays invalid until an index of every partition is attached
 * (what an interrupted partition-by-partition build leaves). It has no storage of its own:
 * the fix is the missing partitions' indexes, built CONCURRENTLY and attached, or a plain
 * DROP INDEX (PostgreSQL refuses CONCURRENTLY on a partitioned index).
 */
function partitionedIndexDetail(index: BrokenIndex, name: string): string {
  const keys = /USING .*$/.exec(index.definition)?.[0] ?? '(...)'
  const parentIndex = quoteQualified(index.schema, index.name)
  const steps = index.unattached.flatMap((partition) =>
    partitionIndexSteps(parentIndex, index.name, partition, keys),
  )
  return `${name} on the partitioned table ${index.table} is INVALID until an index of each partition is attached${index.unattached.length > 0 ? `; none attached yet for ${index.unattached.join(', ')}` : ''}. Fix: run the migration again (op.createIndex with concurrently resumes partition by partition)${steps.length > 0 ? `, or: ${steps.join(' ')}` : '.'} Or drop it: DROP INDEX ${quoteQualified(index.schema, index.name)} (not CONCURRENTLY: PostgreSQL refuses that on a partitioned index)`
}
