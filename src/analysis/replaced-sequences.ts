import type { AnalysedStatement } from './analysed-statement.js'
import { objectNames } from './ast.js'
import { restateChanges } from './effects.js'

/**
 * A sequence renamed out of the way and then dropped in the same transaction, as a
 * serial column made an identity does it (its new sequence takes the name; autogenerate
 * and `strata diff --sql` write it so): nothing outside the transaction sees the rename,
 * and the drop is what it amounts to. The rename's breaking change is restated as that.
 */
export function markReplacedSequences(statements: AnalysedStatement[]): AnalysedStatement[] {
  for (let first = 0; first < statements.length; first++) {
    const statement = statements[first]!
    if (statement.kind !== 'RenameStmt' || statement.transaction === undefined) continue
    const rename = (
      statement.node as { RenameStmt?: { renameType?: string; relation?: never; newname?: string } }
    ).RenameStmt
    if (rename?.renameType !== 'OBJECT_SEQUENCE' || rename.newname === undefined) continue
    // RENAME TO takes a bare name, in the sequence's schema.
    const renamed = rename.newname
    for (let second = first + 1; second < statements.length; second++) {
      const later = statements[second]!
      if (later.transaction !== statement.transaction) break
      const drop = (later.node as { DropStmt?: { removeType?: string; objects?: never } }).DropStmt
      if (drop?.removeType !== 'OBJECT_SEQUENCE') continue
      if (!objectNames(drop.objects).some((name) => lastPart(name) === renamed)) continue
      restateChanges(statement.effects, (change) =>
        change.class === 'breaking'
          ? { class: 'backward compatible', text: `${change.text}, then drops it in the same transaction` }
          : change,
      )
      break
    }
  }
  return statements
}

function lastPart(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1)
}
