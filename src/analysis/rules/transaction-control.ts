import { defineRule, statementOf } from './rule.js'

export default defineRule({
  id: 'transaction-control',
  level: 'error',
  summary: 'BEGIN/COMMIT inside a migration the runner already wraps, or a transaction left open at the end',
  examples: {
    flagged: [
      { sql: 'BEGIN; ALTER TABLE users ADD COLUMN a int; COMMIT;', runner: true },
      'BEGIN; CREATE TABLE t (a int);',
    ],
    accepted: ['BEGIN; CREATE TABLE t (a int); COMMIT;', { sql: 'CREATE TABLE t (a int);', runner: true }],
  },
  check(context) {
    const hits = []
    const runner = context.migration.start.inTransaction
    // op.autocommit's own COMMIT/BEGIN pair is the runner stepping out on purpose.
    const control = context.statements.filter((s) => statementOf(s, 'TransactionStmt') && !s.managed)
    if (runner) {
      for (const statement of control) {
        hits.push({
          statement,
          message: `${statement.sql.replace(/;$/, '')} inside a migration the runner already runs in a transaction: it ${/^begin|^start/i.test(statement.sql) ? 'is ignored with a warning' : 'commits half of the migration, so a failure later cannot roll it back'}`,
          fix: 'remove it; for work that must run outside a transaction use -- transactional: false, or op.autocommit(() => ...) in TS',
        })
      }
      return hits
    }
    const lastControl = control.at(-1)
    if (lastControl !== undefined && /^(begin|start)/i.test(lastControl.sql)) {
      hits.push({
        statement: control.at(-1),
        message:
          'opens a transaction that is never committed: the script ends with it still open, holding its locks',
        fix: 'end the script with COMMIT;',
      })
    }
    return hits
  },
})
