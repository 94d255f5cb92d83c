import type { Node } from 'libpg-query'
import { findNodes, nodeOf } from './ast.js'

/**
 * Whether an UPDATE or DELETE condition reaches every row at once, rather than one
 * batch. Bounded means: a subquery with LIMIT, a comparison with a parameter, or a
 * key (`id`, `*_id`) compared with a constant (`=`, `<`, `>=`, IN, BETWEEN ...).
 * Anything else touches the whole table in one transaction: no WHERE, `IS NULL` tests,
 * flags, and keys in arithmetic or `<>` (`id % 2 = 0` is half the table).
 */
export function isWholeTable(where: Node | undefined): boolean {
  if (where === undefined) return true
  const limited = findNodes<{ limitCount?: Node }>(where, 'SelectStmt').some((select) => select.limitCount)
  if (limited) return false
  if (findNodes(where, 'ParamRef').length > 0) return false
  for (const comparison of findNodes<ComparisonNode>(where, 'A_Expr')) {
    if (!narrows(comparison)) continue
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

interface ComparisonNode {
  readonly lexpr?: Node
  readonly rexpr?: Node
  readonly kind?: string
  readonly name?: Node[]
}

const NARROWING_OPERATORS = new Set(['=', '<', '<=', '>', '>='])

/** A comparison that can select a range of keys; not arithmetic (`id % 2`) nor `<>`. */
function narrows(expression: ComparisonNode): boolean {
  if (expression.kind === 'AEXPR_IN' || expression.kind?.startsWith('AEXPR_BETWEEN')) return true
  if (expression.kind !== 'AEXPR_OP') return false
  const operator = nodeOf<{ sval?: string }>(expression.name?.at(-1), 'String')?.sval
  return operator !== undefined && NARROWING_OPERATORS.has(operator)
}

function isKeyColumn(side: Node | undefined): boolean {
  const fields = nodeOf<{ fields?: Node[] }>(side, 'ColumnRef')?.fields
  const last = nodeOf<{ sval?: string }>(fields?.at(-1), 'String')?.sval
  return last !== undefined && (last === 'id' || last.endsWith('_id'))
}
