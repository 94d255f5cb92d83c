import { defineRule, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'drop-database',
  level: 'error',
  summary: 'DROP DATABASE destroys every table in it; it has no place in a migration',
  examples: {
    flagged: ['DROP DATABASE assistant;'],
    accepted: ['DROP TABLE IF EXISTS t; CREATE TABLE t (a int);'],
  },
  check: perStatement(
    (statement) => {
      const drop = statementOf(statement, 'DropdbStmt')
      if (drop === undefined) return undefined
      return {
        statement,
        message: `drops database ${drop.dbname} and everything in it`,
        fix: 'remove it from the migration; to rebuild a database use `strata backup` and `strata restore`',
      }
    },
    ['DropdbStmt'],
  ),
})
