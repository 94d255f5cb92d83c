import type { AnalysedStatement } from './analysed-statement.js'
import { objectNames, relationName } from './ast.js'
import { restateChanges } from './effects.js'
import { tableKey } from './schema-model.js'

/**
 * A view dropped and made again under its name in the same transaction, as a column's
 * new type requires of the views that read it (`strata revision --autogenerate` and
 * `strata diff --sql` write it so): nothing outside the transaction ever finds it
 * missing. Its drop is restated from breaking to backward compatible, saying why.
 */
export function markRemadeViews(statements: AnalysedStatement[]): AnalysedStatement[] {
  for (let first = 0; first < statements.length; first++) {
    const statement = statements[first]!
    if (statement.kind !== 'DropStmt' || statement.transaction === undefined) continue
    const drop = (statement.node as { DropStmt?: { removeType?: string; objects?: never } }).DropStmt
    if (drop?.removeType !== 'OBJECT_VIEW' && drop?.removeType !== 'OBJECT_MATVIEW') continue
    const remade = new Set<string>()
    for (const view of objectNames(drop.objects)) {
      for (let second = first + 1; second < statements.length; second++) {
        if (statements[second]!.transaction !== statement.transaction) break
        if (createdView(statements[second]!) === tableKey(view)) {
          remade.add(view)
          break
        }
      }
    }
    if (remade.size === 0) continue
    const text = (view: string) =>
      `drops view ${view} and makes it again in the same transaction: its readers find it at the commit`
    restateChanges(statement.effects, (change) => {
      const view = [...remade].find((name) => change.text.endsWith(` ${name}`))
      return change.class === 'breaking' && view !== undefined
        ? { class: 'backward compatible', text: text(view) }
        : change
    })
  }
  return statements
}

/** The view (or materialized view) a statement creates, by its table key. */
function createdView(statement: AnalysedStatement): string | undefined {
  const node = statement.node as {
    ViewStmt?: { view?: never }
    CreateTableAsStmt?: { objtype?: string; into?: { rel?: never } }
  }
  if (node.ViewStmt !== undefined) return tableKey(relationName(node.ViewStmt.view))
  if (node.CreateTableAsStmt?.objtype === 'OBJECT_MATVIEW')
    return tableKey(relationName(node.CreateTableAsStmt.into?.rel))
  return undefined
}
