import { quoteIdent } from '../db/quote.js'
import { hasSqlState, LOCK_NOT_AVAILABLE } from '../db/sqlstate.js'
import { type RelationName, relation } from './sql-fragments.js'

/**
 * `ANALYZE` after a batched rewrite (a backfill, a rebuilt table), so the planner knows
 * the new data from the first query after the deploy: a backfilled column's statistics
 * still say "all NULL" until autovacuum next analyses the table (only after 10% of its
 * rows changed, and after its naptime), and a table swapped in from a shadow copy has
 * none at all. Only the rewritten columns when named, which samples the same rows for
 * less work. ANALYZE takes SHARE UPDATE EXCLUSIVE (reads and writes go on); it waits at
 * most `lockTimeoutMs` for it and, if it cannot have it, leaves the statistics to
 * autovacuum: the data is already right, so this never fails the migration.
 */
export async function refreshStatistics(
  run: (sql: string) => Promise<unknown>,
  offline: boolean,
  table: RelationName,
  columns: readonly string[] | undefined,
  lockTimeoutMs: number,
): Promise<void> {
  const target = `${relation(table)}${columns !== undefined && columns.length > 0 ? ` (${columns.map(quoteIdent).join(', ')})` : ''}`
  if (offline) {
    await run(`ANALYZE ${target}`)
    return
  }
  try {
    await run(
      `BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}; ANALYZE ${target}; COMMIT`,
    )
  } catch (error) {
    await run('ROLLBACK').catch(() => undefined)
    if (!hasSqlState(error, LOCK_NOT_AVAILABLE)) throw error
  }
}
