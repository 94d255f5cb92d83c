import { sqlTableName } from './fix-names.js'
import { defineRule, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'truncate-cascade',
  level: 'error',
  summary: 'TRUNCATE ... CASCADE also empties every table that references the named ones, recursively',
  examples: {
    flagged: ['TRUNCATE users CASCADE;'],
    accepted: ['TRUNCATE staging_import;'],
  },
  check: perStatement(
    (statement) => {
      const truncate = statementOf(statement, 'TruncateStmt')
      if (truncate?.behavior !== 'DROP_CASCADE') return undefined
      const tables = statement.effects.locks.map((lock) => lock.table)
      return {
        statement,
        message: `empties ${tables.join(', ')} and, through CASCADE, every table with a foreign key to them, rows the statement does not name`,
        fix: `name every table to empty explicitly: TRUNCATE ${tables.map(sqlTableName).join(', ')}, <referencing tables>;  (without CASCADE PostgreSQL refuses if one is missing)`,
      }
    },
    ['TruncateStmt'],
  ),
})
