import assert from 'node:assert/strict'
import { test } from 'node:test'
import { serverTooOld } from '../../src/db/connection-errors.js'
import { parseConnectionString } from '../../src/db/connection-spec.js'

test('a server older than PostgreSQL 12 is refused with the minimum version', () => {
  const spec = parseConnectionString('postgresql://u:pw@old:5432/db', { env: {} })
  const error = serverTooOld(110022, spec)
  assert.equal(error.exitCode, 1)
  assert.equal(error.kind, 'server-too-old')
  assert.equal(
    error.message,
    'PostgreSQL 11.22 at old:5432 is not supported: Strata needs PostgreSQL 12 or later',
  )
  assert.ok(!String(error.where).includes('pw'))
})
