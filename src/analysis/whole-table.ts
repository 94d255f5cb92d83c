import type { Node } from 'libpg-query'
import { findNodes, nodeOf } from './ast.js'

/**
 * Whether an UPDATE or DELETE condition reaches every row at once, rather than one
 * batch. Bounded means: a subquery with LIMIT, a comparison with a parameter, or a
 * key (`id`, `*_id`) compared with a constant. Anything else — no WHERE, `IS NULL`
 * tests, flags — touches the whole table in one transaction.
 */
export function isWholeTable(where: Node | undefined): boolean {
  if (where === undefined) return true
  const limited = findNodes<{ limitCount?: Node }>(where, 'SelectStmt').some((select) => select.limitCount)
  if (limited) return false
  if (findNodes(where, 'ParamRef').length > 0) return false
  for (const comparison of findNodes<{ lexpr?: Node; rexpr?: Node; kind?: string }>(where, 'A_Expr')) {
    const sides = [comparison.lexpr, comparison.rexpr]
    const keyed = sides.some((side) => isKeyColumn(side))
    const constant = sides.some((side) => {
      if (side === undefined) return false
      if (nodeOf(side, 'A_Const') !== undefined) return true
      // BETWEEN puts its bounds in a list
      const list = nodeOf<{ items?: Node[] }>(side, 'List')
      return list?.items?.some((item) => nodeOf(item, 'A_Const') !== undefined) ?? false
    })
    if (keyed && constant) return false
  }
  return true
}

function isKeyColumn(side: Node | undefined): boolean {
  const fields = nodeOf<{ fields?: Node[] }>(side, 'ColumnRef')?.fields
  const last = nodeOf<{ sval?: string }>(fields?.at(-1), 'String')?.sval
  return last !== undefined && (last === 'id' || last.endsWith('_id'))
}
