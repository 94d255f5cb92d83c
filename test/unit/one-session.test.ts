import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConnectionString } from '../../src/db/connection-spec.js'
import { InvalidInputError } from '../../src/errors/index.js'
import { requireOneSession } from '../../src/runner/migrate.js'

const spec = parseConnectionString('postgresql://app:s3cret@pgbouncer.internal:6432/app', { env: {} })

test('one server session for the lock and the migrations: nothing to say', () => {
  assert.doesNotThrow(() => requireOneSession(4242, 4242, spec))
})

test('two server sessions behind one connection: a transaction pooler is named, with the way out (exit 2)', () => {
  assert.throws(
    () => requireOneSession(4242, 5151, spec),
    (error: unknown) => {
      assert.ok(error instanceof InvalidInputError)
      assert.equal(error.exitCode, 2)
      assert.match(error.message, /server processes 4242 and 5151/)
      assert.match(error.message, /pool_mode = transaction/)
      assert.equal(error.where, 'postgresql://app:***@pgbouncer.internal:6432/app')
      assert.match(error.hint ?? '', /session-mode pool/)
      return true
    },
  )
})
