import type { AnalysedStatement } from './analysed-statement.js'
import { relationName } from './ast.js'
import { restateChanges } from './effects.js'
import { tableKey } from './schema-model.js'
import { tableRename, tableSwaps } from './table-swaps.js'

interface ColumnRename {
  readonly table: string
  readonly from: string
  readonly to: string
}

/**
 * Finds renames that leave the old name working, each inside one transaction, so that
 * nothing that runs between them sees the name missing:
 * - column swaps: `RENAME COLUMN a TO a_old`, then `RENAME COLUMN a_new TO a` on the same
 *   table, as `op.changeColumnType` does and a DBA writes by hand: at the commit, readers
 *   and writers of `a` find a column of that name, holding the converted values;
 * - table swaps: `users` to `users_old`, then `users_new` to `users` (whether the new
 *   table holds every row is the `swap-loses-writes` rule's question);
 * - a table renamed, then a view under its old name (`CREATE VIEW users AS SELECT * FROM
 *   accounts`, the rename rule's own fix): a simple view is read and written through.
 * Their breaking change becomes backward compatible, and `effects.compatibleRename` says
 * why (the `rename` rule leaves them alone).
 */
export function markCompatibleRenames(statements: AnalysedStatement[]): AnalysedStatement[] {
  // Most migrations rename nothing: one kind test per statement, then nothing more.
  let renames = false
  for (let index = 0; index < statements.length && !renames; index++)
    renames = statements[index]!.kind === 'RenameStmt'
  if (!renames) return statements
  markViewsForRenamedTables(statements)
  for (const swap of tableSwaps(statements)) {
    if (!swap.atomic) continue
    const text = `swaps table ${swap.table} for ${swap.replacement} in one transaction (the old one stays as ${swap.oldName}): from the commit, queries of ${swap.table} use the new table`
    asSwap(statements[swap.away]!, text)
    asSwap(statements[swap.back]!, text)
  }
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

function markViewsForRenamedTables(statements: AnalysedStatement[]): void {
  for (let first = 0; first < statements.length; first++) {
    const renamed = tableRename(statements[first]!)
    if (renamed === undefined || statements[first]!.transaction === undefined) continue
    // A view named like the old table: the old name goes on working.
    for (let second = first + 1; second < statements.length; second++) {
      if (statements[second]!.transaction !== statements[first]!.transaction) break
      const view = (statements[second]!.node as { ViewStmt?: { view?: never } }).ViewStmt
      if (view === undefined || tableKey(relationName(view.view)) !== tableKey(renamed.from)) continue
      asSwap(
        statements[first]!,
        `renames table ${renamed.from} to ${renamed.to} and keeps ${renamed.from} as a view in the same transaction: its readers (and writers, through a simple view) go on working`,
      )
      break
    }
  }
}

function columnRename(statement: AnalysedStatement): ColumnRename | undefined {
  if (statement.kind !== 'RenameStmt') return undefined
  const rename = (statement.node as { RenameStmt?: Record<string, any> }).RenameStmt
  if (rename?.renameType !== 'OBJECT_COLUMN' || !rename.relation) return undefined
  return { table: relationName(rename.relation), from: rename.subname, to: rename.newname }
}

/** The statement's breaking change restated as the compatible rename it is. */
function asSwap(statement: AnalysedStatement, swap: string): void {
  restateChanges(
    statement.effects,
    (change) => (change.class === 'breaking' ? { class: 'backward compatible', text: swap } : change),
    swap,
  )
}
