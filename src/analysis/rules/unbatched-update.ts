import { sqlTableName } from './fix-names.js'
import { defineRule, perStatement } from './rule.js'

export default defineRule({
  id: 'unbatched-update',
  level: 'warning',
  summary:
    'an UPDATE or DELETE over a whole table locks every row it touches until commit, and bloats the table',
  examples: {
    flagged: [
      "UPDATE users SET preferences = '{}' WHERE preferences IS NULL;",
      'DELETE FROM audit_log;',
      // a key in arithmetic or compared with <> still reaches most of the table
      "UPDATE users SET status = 'inactive' WHERE id % 2 = 0;",
      'DELETE FROM audit_log WHERE id <> 1;',
    ],
    accepted: [
      'UPDATE users SET active = true WHERE id BETWEEN 1 AND 1000;',
      'UPDATE users SET active = true WHERE id >= 1000 AND id < 2000;',
      'DELETE FROM audit_log WHERE id IN (1, 2, 3);',
      'UPDATE large_table SET processed = true WHERE id IN (SELECT id FROM large_table WHERE processed = false LIMIT 1000);',
      'CREATE TABLE t (a int); UPDATE t SET a = 1;',
    ],
  },
  check: perStatement((statement) => {
    const write = statement.effects.rowWrites.find(
      (w) => w.whole && w.existing && (w.verb === 'UPDATE' || w.verb === 'DELETE'),
    )
    if (write === undefined) return undefined
    const update = write.verb === 'UPDATE'
    const set = statement.sql
      .match(/\bSET\s+([\s\S]+?)\s+(?:WHERE|FROM|RETURNING|$)/i)?.[1]
      ?.replace(/;\s*$/, '')
    const assignments = set === undefined ? undefined : setToObject(set)
    const condition = statement.sql.match(/\bWHERE\s+([\s\S]+?)\s*;?\s*$/i)?.[1]
    return {
      statement,
      message: `${update ? 'updates' : 'deletes'} every matching row of ${write.table} in one transaction: row locks block the application's writes to those rows until commit, and replicas lag`,
      fix: update
        ? `TS: await op.backfill({ table: '${write.table}', set: { ${assignments ?? '<column>: op.sql(...)'} }${condition ? `, where: ${JSON.stringify(condition)}` : ''} })\n    (batches by key, commits each, resumes after interruption, waits for replicas)`
        : `delete in batches: DELETE FROM ${sqlTableName(write.table)} WHERE ctid IN (SELECT ctid FROM ${sqlTableName(write.table)} WHERE ${condition ?? 'true'} LIMIT 1000);  -- repeat until 0 rows, outside one transaction`,
    }
  }),
})

/** `a = 1, b = lower(c)` → `a: op.sql("1"), b: op.sql("lower(c)")`, splitting at top-level commas. */
function setToObject(set: string): string {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let index = 0; index < set.length; index++) {
    const char = set[index]
    if (char === "'") quoted = !quoted
    else if (!quoted && char === '(') depth++
    else if (!quoted && char === ')') depth--
    else if (!quoted && depth === 0 && char === ',') {
      parts.push(set.slice(start, index))
      start = index + 1
    }
  }
  parts.push(set.slice(start))
  return parts
    .map((part) => {
      const at = part.indexOf('=')
      return `${part.slice(0, at).trim()}: op.sql(${JSON.stringify(part.slice(at + 1).trim())})`
    })
    .join(', ')
}
