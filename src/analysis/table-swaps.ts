import type { AnalysedStatement } from './analysed-statement.js'
import { relationName } from './ast.js'
import { tableKey } from './schema-model.js'

/** `ALTER TABLE users RENAME TO users_old` … `ALTER TABLE users_new RENAME TO users`. */
export interface TableSwap {
  /** The table name that is swapped: `users`. */
  readonly table: string
  /** What the old table is called afterwards: `users_old` (in the table's schema). */
  readonly oldName: string
  /** The table that takes its place: `users_new`. */
  readonly replacement: string
  /** Positions of the two renames in the migration. */
  readonly away: number
  readonly back: number
  /** Both renames in one transaction: nothing ever finds the name missing. */
  readonly atomic: boolean
}

const NO_SWAPS: TableSwap[] = []

/**
 * The table swaps of a migration: a table renamed away, then another renamed to its name,
 * as the operations guide's shadow-table method and `op.rebuildTable` do.
 */
export function tableSwaps(statements: readonly AnalysedStatement[]): TableSwap[] {
  // Most migrations rename nothing: no array, no search.
  if (!statements.some((statement) => statement.kind === 'RenameStmt')) return NO_SWAPS
  const swaps: TableSwap[] = []
  for (let first = 0; first < statements.length; first++) {
    const away = tableRename(statements[first]!)
    if (away === undefined) continue
    for (let second = first + 1; second < statements.length; second++) {
      const back = tableRename(statements[second]!)
      if (back === undefined || tableKey(back.to) !== tableKey(away.from)) continue
      const transaction = statements[first]!.transaction
      swaps.push({
        table: away.from,
        oldName: away.to,
        replacement: back.from,
        away: first,
        back: second,
        atomic: transaction !== undefined && statements[second]!.transaction === transaction,
      })
      break
    }
  }
  return swaps
}

/** A table rename: its name before and after (the new one in the same schema). */
export function tableRename(statement: AnalysedStatement): { from: string; to: string } | undefined {
  if (statement.kind !== 'RenameStmt') return undefined
  const rename = (statement.node as { RenameStmt?: Record<string, any> }).RenameStmt
  if (rename?.renameType !== 'OBJECT_TABLE' || !rename.relation) return undefined
  const from = relationName(rename.relation)
  const schema = from.includes('.') ? from.slice(0, from.lastIndexOf('.') + 1) : ''
  return { from, to: `${schema}${rename.newname}` }
}
