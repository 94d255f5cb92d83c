import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeConnectionFailure, serverTooOld } from '../../src/db/connection-errors.js'
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

test('a role the server does not know is named as such, not sent to pg_hba.conf', () => {
  // What a trust or peer line answers for an unknown user (a password line says only
  // "password authentication failed", which has its own wording).
  const spec = parseConnectionString('postgresql://nobody@db:5432/app', { env: {} })
  const unknown = describeConnectionFailure(
    Object.assign(new Error('role "nobody" does not exist'), { code: '28000' }),
    spec,
  )
  assert.equal(unknown.message, 'role "nobody" does not exist at db:5432')
  assert.match(unknown.hint!, /^check the user name in the URL, the config or PGUSER; or create the role/)
  const refused = describeConnectionFailure(
    Object.assign(new Error('no pg_hba.conf entry for host "10.0.0.9", user "app", database "app"'), {
      code: '28000',
    }),
    spec,
  )
  assert.match(refused.hint!, /pg_hba\.conf entry/)
})
