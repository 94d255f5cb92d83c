import assert from 'node:assert/strict'
import { test } from 'node:test'
import { jsonIndent } from '../../src/cli/output.js'

test('JSON is indented for a terminal and compact for a pipe or file', () => {
  assert.equal(jsonIndent({ isTTY: true } as NodeJS.WriteStream), 2)
  assert.equal(jsonIndent({ isTTY: false } as NodeJS.WriteStream), undefined)
})
