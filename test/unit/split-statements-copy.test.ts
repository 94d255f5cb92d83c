import assert from 'node:assert/strict'
import { test } from 'node:test'
import { splitStatements } from '../../src/graph/split-statements.js'

test("COPY ... FROM stdin's rows are its data up to \\., not statements: semicolons and quotes in them included", () => {
  const text = [
    'CREATE TABLE t (id int, note text);',
    'COPY t (id, note) FROM stdin;',
    "1\tit's; not SQL",
    '2\t\\N',
    '\\.',
    "INSERT INTO t VALUES (3, 'after');",
  ].join('\n')
  assert.deepEqual(splitStatements(text, 10), [
    { sql: 'CREATE TABLE t (id int, note text)', line: 10 },
    { sql: 'COPY t (id, note) FROM stdin', line: 11, copyData: "1\tit's; not SQL\n2\t\\N\n" },
    { sql: "INSERT INTO t VALUES (3, 'after')", line: 15 },
  ])
})

test('COPY rows end at the end of the text without \\. (as psql reads them); CSV rows and CRLF lines', () => {
  assert.deepEqual(splitStatements('COPY t FROM STDIN WITH (FORMAT csv);\n1,"a;b"\n2,c\n'), [
    { sql: 'COPY t FROM STDIN WITH (FORMAT csv)', line: 1, copyData: '1,"a;b"\n2,c\n' },
  ])
  assert.deepEqual(splitStatements('COPY t FROM stdin;\r\n1\r\n\\.\r\nSELECT 1;'), [
    { sql: 'COPY t FROM stdin', line: 1, copyData: '1\r\n' },
    { sql: 'SELECT 1', line: 4 },
  ])
  // COPY FROM a file is a statement like any other.
  assert.deepEqual(splitStatements("COPY t FROM '/tmp/t.csv';\nSELECT 1;"), [
    { sql: "COPY t FROM '/tmp/t.csv'", line: 1 },
    { sql: 'SELECT 1', line: 2 },
  ])
})
