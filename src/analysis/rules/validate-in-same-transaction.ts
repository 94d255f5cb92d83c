import { alterCommands, defineRule, perStatement } from './rule.js'

export default defineRule({
  id: 'validate-in-same-transaction',
  level: 'warning',
  summary:
    "VALIDATE CONSTRAINT in the transaction that added it NOT VALID keeps the ADD's strong lock through the scan",
  examples: {
    flagged: [
      'BEGIN; ALTER TABLE orders ADD CONSTRAINT fk_u FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID; ALTER TABLE orders VALIDATE CONSTRAINT fk_u; COMMIT;',
    ],
    accepted: [
      'ALTER TABLE orders ADD CONSTRAINT fk_u FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID; ALTER TABLE orders VALIDATE CONSTRAINT fk_u;',
    ],
  },
  check: perStatement(
    (statement, context) => {
      if (statement.transaction === undefined) return undefined
      return alterCommands(statement).flatMap((cmd) => {
        if (cmd.subtype !== 'AT_ValidateConstraint') return []
        const added = context.statements.find(
          (earlier) =>
            earlier.index < statement.index &&
            earlier.transaction === statement.transaction &&
            alterCommands(earlier).some(
              (c) => c.subtype === 'AT_AddConstraint' && c.def?.Constraint?.conname === cmd.name,
            ),
        )
        if (added === undefined) return []
        return [
          {
            statement,
            message: `validates ${cmd.name} in the same transaction that added it${added.line ? ` (line ${added.line})` : ''}: the ADD's lock stays held for the whole scan`,
            fix: `commit between them: put VALIDATE in the next migration, or in TS: await op.autocommit(() => op.validateConstraint('${cmd.name}', '${cmd.table}'))`,
          },
        ]
      })
    },
    ['AlterTableStmt'],
  ),
})
