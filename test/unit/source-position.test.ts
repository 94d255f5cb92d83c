import assert from 'node:assert/strict'
import { test } from 'node:test'
import { findInSource, lineAndColumn } from '../../src/util/source-position.js'

test('SQL written in a file is found from the previous statement on, else anywhere; built SQL is not', () => {
  const text = "op.execute('DROP TABLE t')\nop.execute('SELECT 1')\nop.execute('DROP TABLE t')\n"
  const second = text.lastIndexOf('DROP TABLE t')
  assert.equal(findInSource(text, 'DROP TABLE t'), 12)
  assert.equal(findInSource(text, 'DROP TABLE t', 30), second)
  assert.equal(findInSource(text, 'SELECT 1', second), text.indexOf('SELECT 1'))
  assert.equal(findInSource(text, 'CREATE INDEX "ix" ON "t" ("a")'), undefined)
  assert.equal(findInSource(text, ''), undefined)
  assert.deepEqual(lineAndColumn(text, second), { line: 3, column: 13 })
  assert.deepEqual(lineAndColumn(text, 0), { line: 1, column: 1 })
})
