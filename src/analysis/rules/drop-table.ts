import { objectNames } from '../ast.js'
import { sqlIdent, sqlTableName, tableBaseName } from './fix-names.js'
import { defineRule, isExisting, perStatement, phaseDeclaration, statementOf } from './rule.js'

export default defineRule({
  id: 'drop-table',
  level: 'error',
  summary: 'dropping a table destroys its data and breaks a running release that still uses it',
  examples: {
    flagged: ['DROP TABLE user_sessions;'],
    accepted: [
      { sql: 'DROP TABLE users_old;', runner: true, phase: 'contract' },
      'CREATE TABLE tmp (a int); DROP TABLE tmp;',
    ],
  },
  check: perStatement(
    (statement, context) => {
      const drop = statementOf(statement, 'DropStmt')
      if (drop?.removeType !== 'OBJECT_TABLE' || context.migration.phase === 'contract') return undefined
      const tables = objectNames(drop.objects)
      const existing = tables.filter((table) => isExisting(statement, table))
      if (existing.length === 0) return undefined
      return {
        statement,
        message: `drops table ${existing.join(', ')} and every row in it`,
        fix: [
          `keep the data until nobody needs it: ALTER TABLE ${sqlTableName(existing[0]!)} RENAME TO ${sqlIdent(`${tableBaseName(existing[0]!)}_old`)}  (in the expand phase, with a view if old code reads it)`,
          `drop it later in a migration with phase contract (${phaseDeclaration(context.migration, 'contract')}), after a backup`,
        ].join('\n'),
      }
    },
    ['DropStmt'],
  ),
})
