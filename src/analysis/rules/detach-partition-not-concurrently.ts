import { alterCommands, defineRule, perStatement } from './rule.js'

export default defineRule({
  id: 'detach-partition-not-concurrently',
  level: 'warning',
  summary: 'DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the parent table',
  examples: {
    flagged: ['ALTER TABLE events DETACH PARTITION events_2023;'],
    accepted: [
      'ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;',
      { sql: 'ALTER TABLE events DETACH PARTITION events_2023;', serverVersion: 13 },
    ],
  },
  check: perStatement(
    (statement, context) =>
      alterCommands(statement).flatMap((cmd) => {
        if (cmd.subtype !== 'AT_DetachPartition' || cmd.def?.PartitionCmd?.concurrent) return []
        if (context.serverVersion < 14) return []
        return [
          {
            statement,
            message: `detaches ${cmd.def?.PartitionCmd?.name?.relname} under ACCESS EXCLUSIVE on ${cmd.table}: every query on the partitioned table waits`,
            fix: `${statement.sql.replace(/;?\s*$/, '')} CONCURRENTLY;  -- transactional: false (PostgreSQL 14+)`,
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
