import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadParser, parseSql } from '../../src/analysis/parse-sql.js'

test('statements after non-ASCII text keep their text, line and strata:allow comment', async () => {
  await loadParser()
  // The parser counts UTF-8 bytes: é, ☕ and 😀 take 2, 3 and 4 of them (😀 is two UTF-16 units).
  const text = [
    '-- café ☕ migration',
    "INSERT INTO notes (body) VALUES ('naïve 😀');",
    '-- strata:allow drop-table: the old café table is unused',
    'DROP TABLE old_stuff;',
    'CREATE INDEX ix ON notes (body);',
  ].join('\n')
  const statements = parseSql(text, 'utf8.sql', 1)
  assert.deepEqual(
    statements.map((statement) => [statement.line, statement.sql]),
    [
      [2, "INSERT INTO notes (body) VALUES ('naïve 😀')"],
      [4, 'DROP TABLE old_stuff'],
      [5, 'CREATE INDEX ix ON notes (body)'],
    ],
  )
  assert.deepEqual(statements[1]!.allow, [
    { rule: 'drop-table', reason: 'the old café table is unused', line: 3 },
  ])
})
