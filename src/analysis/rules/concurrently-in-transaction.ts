import { hasOption } from '../ast.js'
import { alterCommands, defineRule, isExisting, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'concurrently-in-transaction',
  level: 'error',
  summary: 'CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it',
  examples: {
    flagged: [
      { sql: 'CREATE INDEX CONCURRENTLY ix_users_email ON users (email);', runner: true },
      'BEGIN; DROP INDEX CONCURRENTLY ix_old; COMMIT;',
      {
        sql: 'CREATE TABLE orders (user_id bigint); CREATE INDEX CONCURRENTLY ix_orders_user_id ON orders (user_id);',
        runner: true,
      },
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
      // An index on a table this migration creates: empty and used by no one yet, so a
      // plain build blocks nobody, and the migration keeps its one transaction.
      const table = statement.effects.locks[0]?.table
      if (statementOf(statement, 'IndexStmt') && table !== undefined && !isExisting(statement, table))
        return {
          statement,
          message: `runs CONCURRENTLY inside a transaction: PostgreSQL fails it with "cannot run inside a transaction block"; ${table} is created by this migration, so CONCURRENTLY gains nothing`,
          fix: `${statement.sql.replace(/\s+CONCURRENTLY\b/i, '')}  -- a new, empty table: the plain build blocks no one`,
        }
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
