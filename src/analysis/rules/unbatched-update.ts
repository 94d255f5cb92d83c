import { defineRule, perStatement } from './rule.js'

export default defineRule({
  id: 'unbatched-update',
  level: 'warning',
  summary: 'an UPDATE or DELETE over a whole table locks every row it touches until commit, and bloats the table',
  examples: {
    flagged: ["UPDATE users SET preferences = '{}' WHERE preferences IS NULL;", 'DELETE FROM audit_log;'],
    accepted: [
      'UPDATE users SET active = true WHERE id BETWEEN 1 AND 1000;',
      'UPDATE large_table SET processed = true WHERE id IN (SELECT id FROM large_table WHERE processed = false LIMIT 1000);',
      'CREATE TABLE t (a int); UPDATE t SET a = 1;',
    ],
  },
  check: perStatement((statement) => {
    const write = statement.effects.rowWrites.find((w) => w.whole && w.existing && (w.verb === 'UPDATE' || w.verb === 'DELETE'))
    if (write === undefined) return undefined
    const update = write.verb === 'UPDATE'
    const set = statement.sql.match(/\bSET\s+([\s\S]+?)\s+(?:WHERE|FROM|RETURNING|$)/i)?.[1]?.replace(/;\s*$/, '')
    const condition = statement.sql.match(/\bWHERE\s+([\s\S]+?)\s*;?\s*$/i)?.[1]
    return {
      statement,
      message: `${update ? 'updates' : 'deletes'} every matching row of ${write.table} in one transaction: row locks block the application's writes to those rows until commit, and replicas lag`,
      fix: update
        ? `TS: await op.backfill({ table: '${write.table}', set: { ${set ?? '<column>: op.sql(...)'} }${condition ? `, where: '${condition.replace(/'/g, "\\'")}'` : ''} })\n    (batches by key, commits each, resumes after interruption, waits for replicas)`
        : `delete in batches: DELETE FROM ${write.table} WHERE ctid IN (SELECT ctid FROM ${write.table} WHERE ${condition ?? 'true'} LIMIT 1000);  -- repeat until 0 rows, outside one transaction`,
    }
  }),
})
