import { defineRule, perStatement } from './rule.js'

export default defineRule({
  id: 'refresh-not-concurrently',
  level: 'warning',
  summary:
    'REFRESH MATERIALIZED VIEW without CONCURRENTLY takes ACCESS EXCLUSIVE: every read of the view waits for the whole refresh',
  examples: {
    flagged: ['REFRESH MATERIALIZED VIEW daily_revenue;'],
    accepted: [
      'REFRESH MATERIALIZED VIEW CONCURRENTLY daily_revenue;',
      'CREATE MATERIALIZED VIEW totals AS SELECT 1 AS n WITH NO DATA; REFRESH MATERIALIZED VIEW totals;',
    ],
  },
  check: perStatement(
    (statement) => {
      const lock = statement.effects.locks.find(
        (entry) => entry.mode === 'ACCESS EXCLUSIVE' && entry.existing,
      )
      if (lock === undefined) return undefined
      return {
        statement,
        message: `REFRESH MATERIALIZED VIEW ${lock.table} takes ACCESS EXCLUSIVE: reads of the view wait until the query behind it has run again`,
        fix: `REFRESH MATERIALIZED VIEW CONCURRENTLY ${lock.table};  -- needs a UNIQUE index on the view covering every row (CREATE UNIQUE INDEX ... ON ${lock.table} (...)); readers keep the old rows meanwhile. A view never populated (WITH NO DATA) must be refreshed plainly once`,
      }
    },
    ['RefreshMatViewStmt'],
  ),
})
