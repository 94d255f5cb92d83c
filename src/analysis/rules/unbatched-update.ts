import type { AnalysedStatement } from '../analysed-statement.js'
import { relationName } from '../ast.js'
import { sqlIdent, sqlTableName } from './fix-names.js'
import { andDowngrade, defineRule, perStatement, statementOf } from './rule.js'

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
      {
        sql: 'ALTER TABLE users ADD COLUMN email_lower text;',
        runner: true,
        downgrade: 'UPDATE users SET email = lower(email);',
      },
    ],
    accepted: [
      'UPDATE users SET active = true WHERE id BETWEEN 1 AND 1000;',
      'UPDATE users SET active = true WHERE id >= 1000 AND id < 2000;',
      'DELETE FROM audit_log WHERE id IN (1, 2, 3);',
      'UPDATE large_table SET processed = true WHERE id IN (SELECT id FROM large_table WHERE processed = false LIMIT 1000);',
      'CREATE TABLE t (a int); UPDATE t SET a = 1;',
    ],
  },
  check: andDowngrade(
    perStatement((statement) => {
      const write = statement.effects.rowWrites.find(
        (w) => w.whole && w.existing && (w.verb === 'UPDATE' || w.verb === 'DELETE'),
      )
      if (write === undefined) return undefined
      const update = write.verb === 'UPDATE'
      const condition = statement.sql.match(/\bWHERE\s+([\s\S]+?)\s*;?\s*$/i)?.[1]
      return {
        statement,
        message: `${update ? 'updates' : 'deletes'} every matching row of ${write.table} in one transaction: row locks block the application's writes to those rows until commit, and replicas lag`,
        fix: update
          ? backfillFix(statement.sql, write.table, condition)
          : `delete in batches: DELETE FROM ${sqlTableName(write.table)} WHERE ctid IN (${batchOfRows(statement, write.table, condition)});  -- repeat until 0 rows, outside one transaction`,
      }
    }),
  ),
})

/**
 * The UPDATE as `op.backfill`: its assignments and condition as written; without a
 * condition, the rows whose value differs (a batch already done is not written again).
 * An UPDATE ... FROM (a join) cannot be said that way: it is batched by key range instead.
 */
function backfillFix(sql: string, table: string, condition: string | undefined): string {
  if (/\bFROM\b/i.test(sql.replace(/\([^()]*\)/g, ''))) {
    // A join: op.backfill sets columns from the row itself, so the batches are by key range.
    const statement = sql.replace(/;?\s*$/, '')
    // The condition in parentheses: an OR in it must not swallow the range.
    const filtered =
      condition !== undefined && statement.endsWith(condition)
        ? `${statement.slice(0, statement.length - condition.length)}(${condition}) AND`
        : `${statement} WHERE`
    return `batch it by key range, one range per transaction: ${filtered} <the key of ${table}> >= <from> AND <the key> < <from + 1000>;  -- repeat over the whole key range, outside one transaction`
  }
  const set = sql.match(/\bSET\s+([\s\S]+?)(?:\s+(?:WHERE|RETURNING)\b|\s*;?\s*$)/i)?.[1]
  const assignments = set === undefined ? undefined : splitAssignments(set)
  const where =
    condition ??
    (assignments === undefined
      ? undefined
      : assignments.map(({ column, value }) => `${column} IS DISTINCT FROM (${value})`).join(' OR '))
  const setText =
    assignments === undefined
      ? '<column>: op.sql(...)'
      : assignments.map(({ column, value }) => `${column}: op.sql(${JSON.stringify(value)})`).join(', ')
  return `TS: await op.backfill({ table: '${table}', set: { ${setText} }${where ? `, where: ${JSON.stringify(where)}` : ''} })\n    (batches by key, commits each, resumes after interruption, waits for replicas)`
}

/**
 * The subquery that picks one batch of the rows a DELETE removes, with its aliases and
 * USING tables (`DELETE FROM users a USING users b WHERE a.id < b.id`): the ctids of the
 * target's rows.
 */
function batchOfRows(statement: AnalysedStatement, table: string, condition: string | undefined): string {
  const body = statementOf(statement, 'DeleteStmt')
  const alias: string | undefined = body?.relation?.alias?.aliasname
  const using = (body?.usingClause ?? []).map((item: { RangeVar?: any }) =>
    item.RangeVar === undefined
      ? undefined
      : `${sqlTableName(relationName(item.RangeVar))}${item.RangeVar.alias?.aliasname ? ` ${sqlIdent(item.RangeVar.alias.aliasname)}` : ''}`,
  )
  const from = [`${sqlTableName(table)}${alias ? ` ${sqlIdent(alias)}` : ''}`, ...using]
  if (from.includes(undefined))
    return `SELECT ctid FROM ${sqlTableName(table)} WHERE <the DELETE's condition> LIMIT 1000`
  return `SELECT ${alias ? `${sqlIdent(alias)}.` : ''}ctid FROM ${from.join(', ')} WHERE ${condition ?? 'true'} LIMIT 1000`
}

/** `a = 1, b = lower(c)` → [{ a, 1 }, { b, lower(c) }], split at top-level commas. */
function splitAssignments(set: string): { column: string; value: string }[] {
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
  return parts.map((part) => {
    const at = part.indexOf('=')
    return { column: part.slice(0, at).trim(), value: part.slice(at + 1).trim() }
  })
}
