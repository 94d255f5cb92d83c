import { relationName } from '../ast.js'
import { sqlTableName } from './fix-names.js'
import { rowsGoneFix } from './rows-gone-fix.js'
import { defineRule, isExisting, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'delete-without-where',
  level: 'error',
  summary:
    'a DELETE without WHERE in a migration empties a table for good, as TRUNCATE does: no downgrade brings the rows back',
  examples: {
    flagged: ['DELETE FROM user_sessions;', 'DELETE FROM ONLY audit_log RETURNING id;'],
    accepted: [
      "DELETE FROM audit_log WHERE created_at < now() - interval '90 days';",
      'CREATE TABLE staging (id int); DELETE FROM staging;',
      // USING joins other tables: which rows go depends on them, like a WHERE.
      'DELETE FROM orders USING cancelled WHERE orders.id = cancelled.order_id;',
    ],
  },
  check: perStatement(
    (statement) => {
      const remove = statementOf(statement, 'DeleteStmt')
      if (remove === undefined || remove.whereClause !== undefined || remove.usingClause !== undefined)
        return undefined
      if (remove.relation === undefined) return undefined
      const table = relationName(remove.relation)
      if (!isExisting(statement, table)) return undefined
      return {
        statement,
        message: `deletes every row of ${table}: they are gone at commit, and a rollback of the migration cannot bring them back`,
        fix: rowsGoneFix(
          'delete-without-where',
          table,
          `delete only what must go: DELETE FROM ${sqlTableName(table)} WHERE <the rows that must go>`,
        ),
      }
    },
    ['DeleteStmt'],
  ),
})
