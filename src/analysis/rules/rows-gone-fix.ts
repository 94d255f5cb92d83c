import { sqlTableName } from './fix-names.js'

/**
 * The fix for a statement that empties a table in use for good (TRUNCATE, a DELETE that
 * names no rows): say why when the rows are disposable, otherwise keep them by a backup
 * or by removing only `narrower` (what to do instead, worded for the statement).
 */
export function rowsGoneFix(rule: string, table: string, narrower: string): string {
  return [
    `if the rows are disposable (a cache, an import staging table), say so: -- strata:allow ${rule}: <why the rows may go>`,
    `otherwise keep them: back up first (strata backup -t ${sqlTableName(table)}), or ${narrower}`,
  ].join('\n')
}
