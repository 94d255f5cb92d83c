import type { AnalysedStatement } from './analysed-statement.js'
import { relationName } from './ast.js'
import { restateChanges } from './effects.js'
import { tableKey } from './schema-model.js'

interface ColumnRename {
  readonly table: string
  readonly from: string
  readonly to: string
}

/**
 * Finds column swaps: inside one transaction, `RENAME COLUMN a TO a_old` and then
 * `RENAME COLUMN a_new TO a` on the same table, as `op.changeColumnType` does and a DBA
 * writes by hand. Neither rename is a breaking change: when the transaction commits, the
 * readers and writers of `a` find a column of that name, holding the converted values.
 * Both statements get a backward compatible change instead of their breaking one, and
 * `effects.columnSwap` names the swap (the `rename` rule leaves them alone).
 */
export function markColumnSwaps(statements: AnalysedStatement[]): AnalysedStatement[] {
  for (let first = 0; first < statements.length; first++) {
    const away = columnRename(statements[first]!)
    if (away === undefined || statements[first]!.transaction === undefined) continue
    for (let second = first + 1; second < statements.length; second++) {
      if (statements[second]!.transaction !== statements[first]!.transaction) break
      const back = columnRename(statements[second]!)
      if (back === undefined || tableKey(back.table) !== tableKey(away.table) || back.to !== away.from)
        continue
      const swap = `swaps column ${away.table}.${away.from} for ${back.from} in one transaction (the old column stays as ${away.to}): from the commit, its readers and writers use the new one`
      asSwap(statements[first]!, swap)
      asSwap(statements[second]!, swap)
      break
    }
  }
  return statements
}

function columnRename(statement: AnalysedStatement): ColumnRename | undefined {
  if (statement.kind !== 'RenameStmt') return undefined
  const rename = (statement.node as { RenameStmt?: Record<string, any> }).RenameStmt
  if (rename?.renameType !== 'OBJECT_COLUMN' || !rename.relation) return undefined
  return { table: relationName(rename.relation), from: rename.subname, to: rename.newname }
}

/** The statement's breaking change restated as the swap. */
function asSwap(statement: AnalysedStatement, swap: string): void {
  restateChanges(
    statement.effects,
    (change) => (change.class === 'breaking' ? { class: 'backward compatible', text: swap } : change),
    swap,
  )
}
