import { rowsGoneFix } from './rows-gone-fix.js'
import { defineRule, isExisting, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'truncate-table',
  level: 'error',
  summary: 'TRUNCATE in a migration empties a table for good: no downgrade brings the rows back',
  examples: {
    flagged: ['TRUNCATE user_sessions;', 'TRUNCATE TABLE audit_log, audit_log_archive;'],
    accepted: [
      'CREATE TABLE staging (id int); TRUNCATE staging;',
      // CASCADE has a rule of its own, which names the tables it reaches too.
      'TRUNCATE users CASCADE;',
    ],
  },
  check: perStatement(
    (statement) => {
      const truncate = statementOf(statement, 'TruncateStmt')
      if (truncate === undefined || truncate.behavior === 'DROP_CASCADE') return undefined
      const tables = statement.effects.locks
        .map((lock) => lock.table)
        .filter((table) => isExisting(statement, table))
      if (tables.length === 0) return undefined
      return {
        statement,
        message: `empties ${tables.join(', ')}: every row is gone at commit, and a rollback of the migration cannot bring them back`,
        fix: rowsGoneFix(
          'truncate-table',
          tables[0]!,
          "delete only what must go, in batches (op.backfill's pattern with DELETE)",
        ),
      }
    },
    ['TruncateStmt'],
  ),
})
