import { hasOption } from '../ast.js'
import { defineRule, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'reindex-not-concurrently',
  level: 'error',
  summary: 'REINDEX without CONCURRENTLY blocks writes, and reads that use the index',
  examples: {
    flagged: ['REINDEX INDEX ix_users_email;', 'REINDEX TABLE users;'],
    accepted: ['REINDEX INDEX CONCURRENTLY ix_users_email;'],
  },
  check: perStatement(
    (statement, context) => {
      const reindex = statementOf(statement, 'ReindexStmt')
      if (reindex === undefined || hasOption(reindex.params, 'concurrently')) return undefined
      const concurrent = context.serverVersion >= 12
      return {
        statement,
        message: `rebuilds ${statement.effects.locks[0]?.table ?? 'indexes'} under a SHARE lock: writes wait until it finishes`,
        fix: concurrent
          ? `${statement.sql.replace(/^REINDEX\s+(\([^)]*\)\s*)?(INDEX|TABLE|SCHEMA|DATABASE|SYSTEM)\s+/i, 'REINDEX $2 CONCURRENTLY ')}  -- transactional: false`
          : 'build a new index CONCURRENTLY, then drop the old one (REINDEX CONCURRENTLY needs PostgreSQL 12)',
      }
    },
    ['ReindexStmt'],
  ),
})
