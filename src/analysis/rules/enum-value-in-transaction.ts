import type { AnalysedStatement } from '../analysed-statement.js'
import { findNodes } from '../ast.js'
import { defineRule, type RuleContext, type RuleHit, statementOf } from './rule.js'

export default defineRule({
  id: 'enum-value-in-transaction',
  level: 'error',
  summary:
    'ALTER TYPE ... ADD VALUE fails inside a transaction before PostgreSQL 12; after, the value is unusable until commit',
  examples: {
    flagged: [
      { sql: "ALTER TYPE mood ADD VALUE 'meh';", runner: true, serverVersion: 11 },
      // Since PostgreSQL 12 the ADD runs, and the UPDATE fails: "unsafe use of new value".
      {
        sql: "ALTER TYPE mood ADD VALUE 'meh';\nUPDATE people SET mood = 'meh' WHERE mood IS NULL;",
        runner: true,
      },
      {
        sql: "ALTER TYPE mood ADD VALUE 'meh';\nALTER TABLE people ALTER COLUMN mood SET DEFAULT 'meh';",
        runner: true,
      },
    ],
    accepted: [
      { sql: "ALTER TYPE mood ADD VALUE 'meh';", runner: true },
      { sql: "ALTER TYPE mood ADD VALUE 'meh';", serverVersion: 11 },
      // Each statement commits on its own: the value is there for the next one.
      {
        sql: "ALTER TYPE mood ADD VALUE 'meh';\nUPDATE people SET mood = 'meh' WHERE mood IS NULL;",
        runner: true,
        transactional: false,
      },
      {
        sql: "ALTER TYPE mood ADD VALUE 'meh';\nUPDATE people SET note = 'happy' WHERE id = 1;",
        runner: true,
      },
    ],
  },
  check: (context) => {
    const hits: RuleHit[] = []
    const { statements } = context
    for (let index = 0; index < statements.length; index++) {
      const statement = statements[index]!
      if (statement.kind !== 'AlterEnumStmt' || statement.transaction === undefined) continue
      const alter = statementOf<{ newVal?: string; oldVal?: string }>(statement, 'AlterEnumStmt')
      if (alter === undefined || alter.oldVal || alter.newVal === undefined) continue
      const hit =
        context.serverVersion < 12
          ? {
              statement,
              message: `adds enum value '${alter.newVal}' inside a transaction: PostgreSQL ${context.serverVersion} refuses ("cannot run inside a transaction block")`,
              fix: 'run it outside the transaction: -- transactional: false (SQL), or await op.autocommit(() => op.addEnumValue(...))',
            }
          : usedInSameTransaction(context, index, alter.newVal)
      if (hit !== undefined) hits.push(hit)
    }
    return hits
  },
})

/**
 * Since PostgreSQL 12 the value can be added in a transaction, but a later statement of
 * the same transaction that uses it fails ("unsafe use of new value ... New enum values
 * must be committed before they can be used"): an UPDATE writing it, a DEFAULT naming it.
 * A later string literal equal to the new value is taken for such a use.
 */
function usedInSameTransaction(context: RuleContext, addedAt: number, value: string): RuleHit | undefined {
  const added = context.statements[addedAt]!
  let user: AnalysedStatement | undefined
  for (let index = addedAt + 1; index < context.statements.length && user === undefined; index++) {
    const later = context.statements[index]!
    if (later.transaction !== added.transaction) break
    const literals = findNodes<{ sval?: { sval?: string } }>(later.node, 'A_Const')
    if (literals.some((literal) => literal.sval?.sval === value)) user = later
  }
  if (user === undefined) return undefined
  return {
    statement: user,
    message: `uses enum value '${value}', which line ${added.line ?? '?'} adds in the same transaction: PostgreSQL refuses a new enum value until the transaction that added it commits ("unsafe use of new value")`,
    fix: `add the value in a migration of its own, before this one (SQL: -- transactional: false also commits it on its own; TS: await op.autocommit(() => op.addEnumValue(...))), then use it`,
  }
}
