import assert from 'node:assert/strict'
import { test } from 'node:test'
import { notUtf8 } from '../../src/util/utf8-text.js'

test('UTF-8 text passes; the first byte that is not UTF-8 is found by line and column', () => {
  assert.equal(notUtf8(Buffer.from("INSERT INTO people VALUES ('José', '日本', '🙂');\n")), undefined)
  // 'José' saved as Windows-1252: é is one byte, 0xE9, which starts no valid sequence here.
  const latin1 = Buffer.from("-- seed\nINSERT INTO people VALUES ('Jos\xe9');\n", 'latin1')
  assert.deepEqual(notUtf8(latin1), { line: 2, column: 32, byte: '0xE9' })
  assert.deepEqual(notUtf8(Buffer.from([0x41, 0xff])), { line: 1, column: 2, byte: '0xFF' })
  // A sequence cut short at the end of the file, and an overlong encoding of '/'.
  assert.deepEqual(notUtf8(Buffer.from([0x0a, 0xe6, 0x97])), { line: 2, column: 1, byte: '0xE6' })
  assert.deepEqual(notUtf8(Buffer.from([0x61, 0xc0, 0xaf])), { line: 1, column: 2, byte: '0xC0' })
  // A UTF-16 surrogate encoded as UTF-8 (CESU), which PostgreSQL refuses too.
  assert.deepEqual(notUtf8(Buffer.from([0xed, 0xa0, 0x80])), { line: 1, column: 1, byte: '0xED' })
})
