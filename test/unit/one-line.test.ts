import assert from 'node:assert/strict'
import { test } from 'node:test'
import { oneLine } from '../../src/util/one-line.js'

test('oneLine makes each whitespace run one space and keeps the first characters', () => {
  assert.equal(
    oneLine('ALTER TABLE users\n    ADD COLUMN\tbio text', 160),
    'ALTER TABLE users ADD COLUMN bio text',
  )
  assert.equal(oneLine('SELECT   1', 8), 'SELECT 1')
})

test('oneLine of a long statement equals collapsing the whole text, whatever the whitespace', () => {
  const values = Array.from({ length: 2000 }, (_, i) => `(${i},${' '.repeat(i % 7)}'row ${i}')`).join(
    ',\n      ',
  )
  const statements = [
    `INSERT INTO t VALUES\n      ${values}`,
    // a run of whitespace longer than the prefix it reads first, cut by that prefix
    `UPDATE t SET a = 1${' '.repeat(700)}WHERE id = 2`,
    `${' '.repeat(50)}\n${'x '.repeat(40)}${'\n'.repeat(900)}tail`,
  ]
  for (const sql of statements)
    for (const length of [1, 20, 160])
      assert.equal(oneLine(sql, length), sql.replace(/\s+/g, ' ').slice(0, length))
})
