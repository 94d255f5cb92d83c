import type pg from 'pg'
import { quoteIdent, quoteQualified } from '../db/quote.js'
import { describeLockHolder } from '../db/read-lock-waits.js'
import { EXCLUSIVELY_LOCKED, relationSizeSql } from '../db/relation-size.js'
import { INSUFFICIENT_PRIVILEGE, LOCK_NOT_AVAILABLE } from '../db/sqlstate.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'
import { describeForeignKey, type ForeignKey, referencingTable } from './foreign-keys.js'

/** Sample orphan keys shown per foreign key. */
const SAMPLE_SIZE = 5

interface OrphanCount {
  readonly count: number
  readonly sample: readonly string[]
  /** How the rows were scanned, for the operator: "one anti-join" or the batches. */
  readonly method: string
}

/**
 * "No orphaned records": for every foreign key, the referencing rows whose key has no
 * referenced row (an anti-join, with MATCH SIMPLE / FULL null rules). Such rows exist
 * behind a NOT VALID constraint, or after triggers were disabled during a load.
 * Tables above `batchRows` rows are scanned in block ranges (TID range scans,
 * PostgreSQL 14+) so no single query holds a snapshot for the whole table.
 */
export async function checkOrphans(
  client: pg.ClientBase,
  keys: readonly ForeignKey[],
  options: { batchRows: number; serverVersionNum: number },
): Promise<CheckOutcome> {
  const details: string[] = []
  const methods = new Set<string>()
  let orphanRows = 0
  const unchecked: string[] = []
  /** Why keys went unchecked, for the summary. */
  const reasons = new Set<string>()
  for (const key of keys) {
    let found: OrphanCount
    try {
      found = await countOrphans(client, key, options)
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === LOCK_NOT_AVAILABLE) {
        const holder = await describeLockHolder(client, [
          referencingTable(key),
          quoteQualified(key.refSchema, key.refTable),
        ])
        unchecked.push(`${describeForeignKey(key)}: not checked, ${holder}`)
        reasons.add('a lock held')
        continue
      }
      if (code !== INSUFFICIENT_PRIVILEGE) throw error
      reasons.add('lack of privileges')
      unchecked.push(
        `${describeForeignKey(key)}: not checked, ${(error as Error).message} (see "All tables accessible")`,
      )
      continue
    }
    methods.add(found.method)
    if (found.count === 0) continue
    orphanRows += found.count
    details.push(
      `${describeForeignKey(key)}: ${plural(found.count, 'orphaned row')} (${found.method}), e.g. ${key.columns.join(', ')} = ${found.sample.join('; ')}. Fix the rows (insert the missing ${key.refTable} rows, or UPDATE ... SET ${key.columns.map(quoteIdent).join(', ')} = NULL, or DELETE them) before VALIDATE CONSTRAINT`,
    )
  }
  const method = methods.size === 0 ? '' : `; ${[...methods].join(', ')}`
  if (orphanRows === 0 && unchecked.length === 0)
    return { status: 'ok', summary: `${plural(keys.length, 'foreign key')} checked${method}` }
  if (orphanRows === 0) {
    return {
      status: 'warn',
      summary: `no orphans behind ${plural(keys.length - unchecked.length, 'foreign key')} checked; ${unchecked.length} not checked for ${[...reasons].join(' or ')}`,
      details: unchecked,
    }
  }
  return {
    status: 'fail',
    summary: `${plural(orphanRows, 'orphaned row')} behind ${plural(details.length, 'foreign key')}`,
    details: [...details, ...unchecked],
  }
}

async function countOrphans(
  client: pg.ClientBase,
  key: ForeignKey,
  options: { batchRows: number; serverVersionNum: number },
): Promise<OrphanCount> {
  const query = orphanQuery(key)
  const batched =
    key.estimatedRows > options.batchRows &&
    key.relkind === 'r' &&
    options.serverVersionNum >= 140000 &&
    key.pages > 1
  if (!batched) {
    const result = await client.query<{ count: number; sample: string[] | null }>(query.sql(''))
    return {
      count: result.rows[0]!.count,
      sample: result.rows[0]!.sample ?? [],
      method: 'one anti-join per key',
    }
  }
  const pagesPerBatch = Math.max(1, Math.floor((key.pages * options.batchRows) / key.estimatedRows))
  let count = 0
  const sample: string[] = []
  let batches = 0
  // Reads the size again at the end of each pass: rows appended meanwhile are checked too.
  for (let start = 0; ; start += pagesPerBatch) {
    const pages = await client.query<{ pages: number }>(
      `WITH ${EXCLUSIVELY_LOCKED}
       SELECT ((${relationSizeSql('$1::regclass')}) / current_setting('block_size')::int)::int AS pages`,
      [referencingTable(key)],
    )
    if (start >= pages.rows[0]!.pages) break
    const range = `AND c.ctid >= '(${start},0)'::tid AND c.ctid < '(${start + pagesPerBatch},0)'::tid`
    const result = await client.query<{ count: number; sample: string[] | null }>(query.sql(range))
    batches += 1
    count += result.rows[0]!.count
    for (const row of result.rows[0]!.sample ?? []) if (sample.length < SAMPLE_SIZE) sample.push(row)
  }
  return {
    count,
    sample,
    method: `anti-join in ${plural(batches, 'batch', 'batches')} of ${pagesPerBatch} pages (TID range scans)`,
  }
}

/** The anti-join for one key; `range` narrows the referencing rows to a block range. */
function orphanQuery(key: ForeignKey): { sql: (range: string) => string } {
  const child = key.columns.map((column) => `c.${quoteIdent(column)}`)
  const join = key.columns
    .map((column, index) => `p.${quoteIdent(key.refColumns[index]!)} = c.${quoteIdent(column)}`)
    .join(' AND ')
  const allSet = child.map((column) => `${column} IS NOT NULL`).join(' AND ')
  const missing = `(${allSet} AND NOT EXISTS (SELECT 1 FROM ${quoteQualified(key.refSchema, key.refTable)} p WHERE ${join}))`
  // MATCH FULL also forbids a key that is partly NULL.
  const partlyNull =
    key.matchType === 'f' && child.length > 1
      ? ` OR num_nulls(${child.join(', ')}) BETWEEN 1 AND ${child.length - 1}`
      : ''
  const shown = child.length === 1 ? `${child[0]}::text` : `concat_ws(', ', ${child.join(', ')})`
  return {
    sql: (range) => `WITH orphans AS (
        SELECT ${shown} AS key FROM ${referencingTable(key)} c WHERE (${missing}${partlyNull}) ${range}
      )
      SELECT (SELECT count(*)::int FROM orphans) AS count,
             (SELECT array_agg(key) FROM (SELECT key FROM orphans LIMIT ${SAMPLE_SIZE}) s) AS sample`,
  }
}
