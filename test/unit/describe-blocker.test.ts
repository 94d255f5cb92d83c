import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeBlocker } from '../../src/runner/lock-watcher.js'

test('a blocker is one line: its facts, then its query on one line without the final semicolon', () => {
  assert.equal(
    describeBlocker({
      pid: 3026,
      user: 'app',
      application: 'psql',
      state: 'active',
      transactionAgeMs: 6400,
      query: 'BEGIN;\n  SELECT count(*) FROM users;\n  SELECT pg_sleep(25); COMMIT;',
    }),
    'pid 3026 (user app, psql, active, transaction open 6.4s): BEGIN; SELECT count(*) FROM users; SELECT pg_sleep(25); COMMIT',
  )
  assert.equal(
    describeBlocker({
      pid: 7,
      user: null,
      application: null,
      state: null,
      transactionAgeMs: null,
      query: null,
    }),
    'pid 7',
  )
})
