import { objectNames } from '../ast.js'
import { sqlTableName } from './fix-names.js'
import { defineRule, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'drop-index-not-concurrently',
  level: 'warning',
  summary: 'DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table: reads and writes wait',
  examples: {
    flagged: ['DROP INDEX ix_users_email;'],
    accepted: [
      'DROP INDEX CONCURRENTLY IF EXISTS ix_users_email;',
      'CREATE INDEX CONCURRENTLY ix_tmp ON users (email); DROP INDEX ix_tmp;',
    ],
  },
  check: perStatement(
    (statement, context) => {
      const drop = statementOf(statement, 'DropStmt')
      if (drop?.removeType !== 'OBJECT_INDEX' || drop.concurrent) return undefined
      const names = objectNames(drop.objects)
      // An index created earlier in the same migration has never served traffic.
      const createdHere = new Set(
        context.statements
          .filter((s) => s.index < statement.index)
          .map((s) => statementOf(s, 'IndexStmt')?.idxname)
          .filter(Boolean),
      )
      const risky = names.filter((name) => !createdHere.has(name.split('.').at(-1)))
      if (risky.length === 0) return undefined
      return {
        statement,
        message: `drops index ${risky.join(', ')} under ACCESS EXCLUSIVE on its table: every query on the table waits`,
        // One statement per index: DROP INDEX CONCURRENTLY takes only one.
        fix: [
          ...risky.map((index) => `DROP INDEX CONCURRENTLY IF EXISTS ${sqlTableName(index)};`),
          ...risky.map(
            (index) => `TS: await op.dropIndex('${index}', { concurrently: true, ifExists: true })`,
          ),
          '-- in a migration with transactional: false (export const transactional = false)',
        ].join('\n'),
      }
    },
    ['DropStmt'],
  ),
})
