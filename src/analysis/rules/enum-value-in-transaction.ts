import { defineRule, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'enum-value-in-transaction',
  level: 'error',
  summary:
    'ALTER TYPE ... ADD VALUE fails inside a transaction before PostgreSQL 12; after, the value is unusable until commit',
  examples: {
    flagged: [{ sql: "ALTER TYPE mood ADD VALUE 'meh';", runner: true, serverVersion: 11 }],
    accepted: [
      { sql: "ALTER TYPE mood ADD VALUE 'meh';", runner: true },
      { sql: "ALTER TYPE mood ADD VALUE 'meh';", serverVersion: 11 },
    ],
  },
  check: perStatement(
    (statement, context) => {
      const alter = statementOf(statement, 'AlterEnumStmt')
      if (alter === undefined || alter.oldVal || statement.transaction === undefined) return undefined
      if (context.serverVersion >= 12) return undefined
      return {
        statement,
        message: `adds enum value '${alter.newVal}' inside a transaction: PostgreSQL ${context.serverVersion} refuses ("cannot run inside a transaction block")`,
        fix: 'run it outside the transaction: -- transactional: false (SQL), or await op.autocommit(() => op.addEnumValue(...))',
      }
    },
    ['AlterEnumStmt'],
  ),
})
