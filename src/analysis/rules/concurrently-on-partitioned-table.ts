import { partitionedIndexRecipe } from './partitioned-index-recipe.js'
import { defineRule, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'concurrently-on-partitioned-table',
  level: 'error',
  summary: 'CREATE INDEX CONCURRENTLY fails on a partitioned table: it is built partition by partition',
  examples: {
    flagged: [
      'CREATE TABLE events (at timestamptz, kind text) PARTITION BY RANGE (at); CREATE INDEX CONCURRENTLY ix_events_kind ON events (kind);',
    ],
    accepted: [
      'CREATE INDEX CONCURRENTLY ix_events_kind ON events (kind);',
      'CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM (1) TO (2); CREATE INDEX CONCURRENTLY ix_e ON events_2026 (kind);',
    ],
  },
  check: perStatement(
    (statement) => {
      const index = statementOf(statement, 'IndexStmt')
      const partitions = statement.effects.partitions
      // op.createIndex builds partition by partition when it runs.
      if (index === undefined || !index.concurrent || partitions === undefined || statement.partitionAware)
        return undefined
      const table = statement.effects.locks[0]?.table ?? '?'
      return {
        statement,
        message: `builds ${index.idxname ? `index ${index.idxname}` : 'an index'} CONCURRENTLY on the partitioned table ${table}: PostgreSQL refuses it ("cannot create index on partitioned table concurrently")`,
        fix: partitionedIndexRecipe(statement.sql, table, index.idxname, partitions),
      }
    },
    ['IndexStmt'],
  ),
})
