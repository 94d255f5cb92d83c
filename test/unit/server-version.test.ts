import assert from 'node:assert/strict'
import { test } from 'node:test'
import { versionNumber } from '../../src/db/connect.js'

test('server_version as reported at session start reads as server_version_num', () => {
  assert.equal(versionNumber('16.4'), 160004)
  assert.equal(versionNumber('16.4 (Debian 16.4-1.pgdg120+1)'), 160004)
  assert.equal(versionNumber('15.10'), 150010)
  assert.equal(versionNumber('17beta1'), 170000)
  assert.equal(versionNumber('9.6.24'), 90624)
  assert.equal(versionNumber('PostgreSQL-compatible'), undefined)
})
