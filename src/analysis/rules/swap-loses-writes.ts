import type { AnalysedStatement } from '../analysed-statement.js'
import { findNodes, relationName } from '../ast.js'
import { lockRank } from '../lock-modes.js'
import { tableKey } from '../schema-model.js'
import { tableSwaps } from '../table-swaps.js'
import { defineRule, isExisting, statementOf } from './rule.js'

export default defineRule({
  id: 'swap-loses-writes',
  level: 'error',
  summary:
    'a table swapped for a copy made by INSERT ... SELECT loses the rows written to it after the copy, unless the copy ran under a lock that blocks writes',
  examples: {
    flagged: [
      'CREATE TABLE users_new (id bigint PRIMARY KEY, email text); INSERT INTO users_new SELECT id, email FROM users; ALTER TABLE users RENAME TO users_old; ALTER TABLE users_new RENAME TO users;',
      {
        sql: 'CREATE TABLE users_new (LIKE users); INSERT INTO users_new SELECT * FROM users; ALTER TABLE users RENAME TO users_old; ALTER TABLE users_new RENAME TO users;',
        runner: true,
      },
    ],
    accepted: [
      {
        sql: 'CREATE TABLE users_new (LIKE users); LOCK TABLE users IN SHARE MODE; INSERT INTO users_new SELECT * FROM users; ALTER TABLE users RENAME TO users_old; ALTER TABLE users_new RENAME TO users;',
        runner: true,
      },
      'ALTER TABLE users RENAME TO users_old; ALTER TABLE users_new RENAME TO users;',
    ],
  },
  check: (context) => {
    const { statements } = context
    return tableSwaps(statements).flatMap((swap) => {
      if (!isExisting(statements[swap.away]!, swap.table)) return []
      const copy = copyInto(statements, swap)
      if (copy === undefined) return []
      // Writes wait from the lock to the commit: the copy then holds every row, if the
      // swap commits with it.
      if (swap.atomic && statements[copy]!.transaction === statements[swap.away]!.transaction) {
        if (lockedBefore(statements, copy, swap.table)) return []
      }
      const copied = statements[copy]!
      const swapped = statements[swap.away]!
      return [
        {
          statement: swapped,
          message: `swaps ${swap.table} for ${swap.replacement}, which ${copied.line === undefined ? 'an earlier statement' : `line ${copied.line}`} filled from ${swap.table}: rows the application writes to ${swap.table} after that copy stay behind in ${swap.oldName}`,
          fix: [
            `TS: await op.rebuildTable('${swap.table}', { columns: [...], select: '...' })  -- batched copy while a trigger records changed rows, replayed, then the swap under a brief lock`,
            `or, writes waiting for the whole copy: LOCK TABLE ${swap.table} IN SHARE MODE; before the copy, with the copy and both renames in one transaction`,
          ].join('\n'),
        },
      ]
    })
  },
})

/** The INSERT ... SELECT that filled the replacement from the swapped table, before the swap. */
function copyInto(
  statements: readonly AnalysedStatement[],
  swap: { table: string; replacement: string; back: number },
) {
  for (let index = swap.back - 1; index >= 0; index--) {
    const insert = statementOf(statements[index]!, 'InsertStmt')
    if (insert === undefined || tableKey(relationName(insert.relation)) !== tableKey(swap.replacement))
      continue
    const sources = findNodes<never>(insert.selectStmt, 'RangeVar').map((range) =>
      tableKey(relationName(range)),
    )
    if (sources.includes(tableKey(swap.table))) return index
  }
  return undefined
}

/** A LOCK TABLE of `table` in SHARE mode or stronger earlier in the copy's transaction. */
function lockedBefore(statements: readonly AnalysedStatement[], copy: number, table: string): boolean {
  const transaction = statements[copy]!.transaction
  for (let index = copy - 1; index >= 0 && statements[index]!.transaction === transaction; index--) {
    const statement = statements[index]!
    if (statement.kind !== 'LockStmt') continue
    const lock = statement.effects.locks.find((held) => tableKey(held.table) === tableKey(table))
    if (lock !== undefined && lockRank(lock.mode) >= lockRank('SHARE')) return true
  }
  return false
}
