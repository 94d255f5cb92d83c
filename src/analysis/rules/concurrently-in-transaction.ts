import { hasOption } from '../ast.js'
import { alterCommands, defineRule, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'concurrently-in-transaction',
  level: 'error',
  summary: 'CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it',
  examples: {
    flagged: [
      { sql: 'CREATE INDEX CONCURRENTLY ix_users_email ON users (email);', runner: true },
      'BEGIN; DROP INDEX CONCURRENTLY ix_old; COMMIT;',
    ],
    accepted: ['CREATE INDEX CONCURRENTLY ix_users_email ON users (email);'],
  },
  check: perStatement(
    (statement) => {
      if (statement.transaction === undefined) return undefined
      const concurrent =
        statementOf(statement, 'IndexStmt')?.concurrent ||
        statementOf(statement, 'DropStmt')?.concurrent ||
        hasOption(statementOf(statement, 'ReindexStmt')?.params, 'concurrently') ||
        alterCommands(statement).some(
          (cmd) => cmd.subtype === 'AT_DetachPartition' && cmd.def?.PartitionCmd?.concurrent,
        )
      if (!concurrent) return undefined
      return {
        statement,
        message:
          'runs CONCURRENTLY inside a transaction: PostgreSQL fails it with "cannot run inside a transaction block"',
        fix: 'SQL migration: add `-- transactional: false` to the header\nTS: export const transactional = false, or wrap the call: await op.autocommit(() => ...)',
      }
    },
    ['IndexStmt', 'DropStmt', 'ReindexStmt', 'AlterTableStmt'],
  ),
})
