import { displayType } from '../column-types.js'
import { type DeclaredColumn, declaredColumns } from './column-definitions.js'
import { defineRule, perStatement, type Rule, type RuleExample } from './rule.js'

/** A rule about a column type that ages badly: flags each declaration of it. */
export function typeRule(options: {
  id: string
  summary: string
  matches: (column: DeclaredColumn) => boolean
  message: (column: DeclaredColumn) => string
  fix: (column: DeclaredColumn) => string
  examples: { flagged: RuleExample[]; accepted: RuleExample[] }
}): Rule {
  return defineRule({
    id: options.id,
    level: 'warning',
    summary: options.summary,
    examples: options.examples,
    check: perStatement(
      (statement) =>
        declaredColumns(statement)
          .filter(options.matches)
          .map((column) => ({ statement, message: options.message(column), fix: options.fix(column) })),
      ['CreateStmt', 'AlterTableStmt'],
    ),
  })
}

export const typeName = (column: DeclaredColumn) =>
  `${column.table}.${column.column} (${displayType(column.type)})`
